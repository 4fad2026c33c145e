package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/metrics"
)

// units are the units CloudWatch accepts (MetricDatum.Unit).
var units = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
	"Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
	"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
	"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second",
	"Count/Second", "None"}

// checkEMF checks one log line against the Embedded Metric Format specification
// (CloudWatch_Embedded_Metric_Format_Specification): a JSON object with nothing around it, whose
// _aws member holds Timestamp (epoch milliseconds, at most 14 days old and 2 hours ahead) and
// CloudWatchMetrics, an array of directives; each directive has a Namespace (1 to 255
// characters), Dimensions (an array of dimension sets, each an array of at most 30 names of
// root members whose values are non-empty ASCII strings of at most 1,024 characters) and
// Metrics (1 to 100 definitions, each a Name of a root member holding a number or at most 100
// numbers, and an optional valid Unit). It returns the metrics by name.
func checkEMF(line []byte, now time.Time) (map[string]float64, error) {
	var root map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return nil, errors.New("data after the JSON object")
	}
	var meta struct {
		Timestamp         *json.Number `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  *string    `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name *string `json:"Name"`
				Unit *string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	}
	raw, ok := root["_aws"]
	if !ok {
		return nil, errors.New("no _aws member")
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("_aws: %w", err)
	}
	if meta.Timestamp == nil {
		return nil, errors.New("_aws.Timestamp missing")
	}
	ms, err := meta.Timestamp.Int64()
	if err != nil {
		return nil, fmt.Errorf("_aws.Timestamp %s is not whole milliseconds", *meta.Timestamp)
	}
	if at := time.UnixMilli(ms); at.Before(now.Add(-14*24*time.Hour)) || at.After(now.Add(2*time.Hour)) {
		return nil, fmt.Errorf("_aws.Timestamp %v is outside what CloudWatch accepts", at)
	}
	if len(meta.CloudWatchMetrics) == 0 {
		return nil, errors.New("_aws.CloudWatchMetrics is empty")
	}
	values := map[string]float64{}
	for i, d := range meta.CloudWatchMetrics {
		if d.Namespace == nil || len(*d.Namespace) == 0 || len(*d.Namespace) > 255 {
			return nil, fmt.Errorf("directive %d: Namespace missing or not 1 to 255 characters", i)
		}
		if d.Dimensions == nil {
			return nil, fmt.Errorf("directive %d: Dimensions missing", i)
		}
		for _, set := range d.Dimensions {
			if len(set) > 30 {
				return nil, fmt.Errorf("directive %d: a dimension set of %d names", i, len(set))
			}
			for _, name := range set {
				var v string
				if err := json.Unmarshal(root[name], &v); err != nil {
					return nil, fmt.Errorf("dimension %s: not a string member of the root", name)
				}
				if v == "" || len(v) > 1024 || strings.TrimFunc(v, func(r rune) bool { return r > 32 && r < 127 }) != "" {
					return nil, fmt.Errorf("dimension %s = %q: not 1 to 1,024 printable ASCII characters", name, v)
				}
			}
		}
		if len(d.Metrics) == 0 || len(d.Metrics) > 100 {
			return nil, fmt.Errorf("directive %d: %d metrics", i, len(d.Metrics))
		}
		for _, m := range d.Metrics {
			if m.Name == nil || *m.Name == "" || len(*m.Name) > 255 {
				return nil, fmt.Errorf("directive %d: a metric without a valid Name", i)
			}
			if m.Unit != nil && !slices.Contains(units, *m.Unit) {
				return nil, fmt.Errorf("metric %s: unit %q", *m.Name, *m.Unit)
			}
			// float64, not json.Number, which would take a quoted number too.
			var f float64
			if err := json.Unmarshal(root[*m.Name], &f); err != nil {
				var list []float64
				if err := json.Unmarshal(root[*m.Name], &list); err != nil || len(list) == 0 || len(list) > 100 {
					return nil, fmt.Errorf("metric %s: its member is not a number nor 1 to 100 numbers", *m.Name)
				}
				f = list[0]
			}
			values[*m.Name] = f
		}
	}
	return values, nil
}

func TestEmitWritesEMF(t *testing.T) {
	now := time.Now()
	var buf bytes.Buffer
	// The lines as Lambda's JSON log format gets them: slog's JSON handler, keys renamed as
	// lambdacontext.NewLogHandler does.
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	e := &metrics.Emitter{Namespace: "Soundtime/test", Log: log, Now: func() time.Time { return now }}
	ctx := context.Background()
	e.Emit(ctx, map[string]string{"Format": "mp3"},
		metrics.Metric{Name: metrics.ProcessingSeconds, Unit: metrics.Seconds, Value: 12.5},
		metrics.Metric{Name: metrics.RealtimeFactor, Unit: metrics.None, Value: 48})
	e.Emit(ctx, nil, metrics.C(metrics.Plays))
	e.Emit(ctx, map[string]string{"Code": "not_audio"}, metrics.C(metrics.ProcessingFailures))

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	want := []map[string]float64{
		{metrics.ProcessingSeconds: 12.5, metrics.RealtimeFactor: 48},
		{metrics.Plays: 1},
		{metrics.ProcessingFailures: 1},
	}
	for i, line := range lines {
		got, err := checkEMF(line, now)
		if err != nil {
			t.Errorf("line %d is not EMF: %v\n%s", i, err, line)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Errorf("line %d: metrics %v, want %v", i, got, want[i])
		}
		var m map[string]any
		json.Unmarshal(line, &m)
		if m["level"] != "INFO" || m["msg"] != metrics.Message {
			t.Errorf("line %d: level %v, message %v: Lambda filters by level, and the line must say what it is", i, m["level"], m["msg"])
		}
	}
	// Aggregated with and without the dimension, so an alarm can read the total.
	if !strings.Contains(string(lines[0]), `"Dimensions":[[],["Format"]]`) || !strings.Contains(string(lines[1]), `"Dimensions":[[]]`) {
		t.Errorf("dimension sets:\n%s\n%s", lines[0], lines[1])
	}
}

// The checker itself refuses what the specification forbids: the test above can fail.
func TestCheckEMFRefuses(t *testing.T) {
	now := time.Now()
	ts := fmt.Sprint(now.UnixMilli())
	ok := `{"_aws":{"Timestamp":` + ts + `,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["D"]],"Metrics":[{"Name":"M","Unit":"Count"}]}]},"D":"x","M":1}`
	if _, err := checkEMF([]byte(ok), now); err != nil {
		t.Fatalf("a valid document refused: %v", err)
	}
	for name, doc := range map[string]string{
		"no _aws":            `{"M":1}`,
		"no timestamp":       strings.Replace(ok, `"Timestamp":`+ts+`,`, "", 1),
		"seconds timestamp":  strings.Replace(ok, ts, fmt.Sprint(now.Unix()), 1),
		"no namespace":       strings.Replace(ok, `"Namespace":"N",`, "", 1),
		"dimension missing":  strings.Replace(ok, `"D":"x",`, "", 1),
		"dimension a number": strings.Replace(ok, `"D":"x"`, `"D":3`, 1),
		"metric missing":     strings.Replace(ok, `,"M":1`, "", 1),
		"metric a string":    strings.Replace(ok, `"M":1`, `"M":"1"`, 1),
		"bad unit":           strings.Replace(ok, `"Count"`, `"Counts"`, 1),
		"trailing data":      ok + ` x`,
	} {
		if _, err := checkEMF([]byte(doc), now); err == nil {
			t.Errorf("%s: accepted %s", name, doc)
		}
	}
}

func TestNilEmitterWritesNothing(t *testing.T) {
	var e *metrics.Emitter
	e.Emit(context.Background(), nil, metrics.C(metrics.Plays)) // must not panic
	var buf bytes.Buffer
	(&metrics.Emitter{Log: slog.New(slog.NewJSONHandler(&buf, nil))}).Emit(context.Background(), nil, metrics.C(metrics.Plays))
	if buf.Len() != 0 {
		t.Errorf("an emitter without a namespace wrote %s", buf.String())
	}
}
