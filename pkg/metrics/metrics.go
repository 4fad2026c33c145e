// Package metrics writes CloudWatch metrics as Embedded Metric Format (EMF) documents in the
// function's own JSON log: CloudWatch Logs extracts them, so a metric costs a log line, never an
// API call in the request's path. The lines go through the function's slog handler, so they carry
// its level and the Lambda request ID like every other line.
//
// The metrics and their dimensions are the template's dashboard and alarms' (template.yaml):
// rename one here and there together.
package metrics

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"time"
)

// Unit is a CloudWatch unit.
type Unit string

const (
	Count   Unit = "Count"
	Seconds Unit = "Seconds"
	Bytes   Unit = "Bytes"
	None    Unit = "None"
)

// The metrics Soundtime emits (namespace METRICS_NAMESPACE).
const (
	UploadsStarted     = "UploadsStarted"     // an upload URL handed out
	UploadsCompleted   = "UploadsCompleted"   // an original arrived and its first processing run began
	TracksReady        = "TracksReady"        // a track became ready
	ProcessingSeconds  = "ProcessingSeconds"  // the run that made it ready, by Format
	RealtimeFactor     = "RealtimeFactor"     // seconds of audio per second of that run, by Format
	ProcessingFailures = "ProcessingFailures" // a track failed, by Code
	Plays              = "Plays"
	Downloads          = "Downloads"
	Deliveries         = "Deliveries" // a federation delivery's outcome, by Outcome
)

// All lists the metrics above: the template's dashboard test checks it shows each one.
var All = []string{UploadsStarted, UploadsCompleted, TracksReady, ProcessingSeconds, RealtimeFactor,
	ProcessingFailures, Plays, Downloads, Deliveries}

// Metric is one value.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// C is a count of one.
func C(name string) Metric { return Metric{Name: name, Unit: Count, Value: 1} }

// Emitter writes EMF documents through Log. The zero Emitter, and a nil one, write nothing.
type Emitter struct {
	Namespace string
	Log       *slog.Logger
	// Now stamps the documents; time.Now when nil.
	Now func() time.Time
}

// Message is the log message of every EMF line.
const Message = "metrics"

// directive is the _aws member of an EMF document.
type directive struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []metricsBlock `json:"CloudWatchMetrics"`
}

type metricsBlock struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []definition `json:"Metrics"`
}

type definition struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

// Emit writes one document of ms with the dimensions dims (name → value), aggregated both with
// and without them: the dashboard shows totals and the breakdown, and an alarm reads the total.
func (e *Emitter) Emit(ctx context.Context, dims map[string]string, ms ...Metric) {
	if e == nil || e.Log == nil || e.Namespace == "" || len(ms) == 0 {
		return
	}
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	keys := slices.Sorted(maps.Keys(dims))
	sets := [][]string{{}}
	if len(keys) > 0 {
		sets = append(sets, keys)
	}
	block := metricsBlock{Namespace: e.Namespace, Dimensions: sets}
	attrs := make([]slog.Attr, 0, 1+len(keys)+len(ms))
	for _, m := range ms {
		block.Metrics = append(block.Metrics, definition{Name: m.Name, Unit: m.Unit})
		attrs = append(attrs, slog.Float64(m.Name, m.Value))
	}
	for _, k := range keys {
		attrs = append(attrs, slog.String(k, dims[k]))
	}
	attrs = append(attrs, slog.Any("_aws", directive{Timestamp: now().UnixMilli(), CloudWatchMetrics: []metricsBlock{block}}))
	e.Log.LogAttrs(ctx, slog.LevelInfo, Message, attrs...)
}
