package soundtime_test

// Operating the stack: alarms that reach someone, the dead-letter and failure queues watched, the
// processing failure rate, the functions' logs, and the dashboard (docs/deploy.md, "What to
// watch").

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
	"github.com/soundtime/soundtime/pkg/metrics"
)

// emfMetric is a metric the functions log in Embedded Metric Format, with its unit and its
// dimension sets (the EMF directive's Dimensions): every one goes on the dashboard.
type emfMetric struct {
	name, unit string
	dimensions [][]string
}

// The metrics of issue 13 (docs/api.md, "Operations"), in namespace METRICS_NAMESPACE.
var emfMetrics = []emfMetric{
	{"UploadsStarted", "Count", [][]string{{}}},
	// The original arrived and processing took it.
	{"UploadsCompleted", "Count", [][]string{{}}},
	{"TracksReady", "Count", [][]string{{}}},
	{"ProcessingSeconds", "Seconds", [][]string{{}, {"Format"}}},
	// Seconds of audio per second of processing.
	{"RealtimeFactor", "None", [][]string{{}, {"Format"}}},
	{"ProcessingFailures", "Count", [][]string{{}, {"Code"}}},
	{"Plays", "Count", [][]string{{}}},
	{"Downloads", "Count", [][]string{{}}},
	// Outcome: delivered, retried, gone, rejected.
	{"Deliveries", "Count", [][]string{{}, {"Outcome"}}},
}

// The dashboard's list is the Go code's: a metric added to pkg/metrics without a widget, or a
// widget of a metric nothing emits, fails here.
func TestTemplateMetricsAreTheCodes(t *testing.T) {
	var listed []string
	for _, m := range emfMetrics {
		listed = append(listed, m.name)
	}
	slices.Sort(listed)
	code := slices.Sorted(slices.Values(metrics.All))
	if !slices.Equal(listed, code) {
		t.Errorf("the dashboard's metrics %q, the code's %q", listed, code)
	}
}

func TestTemplateAlarmTopic(t *testing.T) {
	tp := loadTemplate(t)
	if got := tp.Type("AlarmTopic"); got != "AWS::SNS::Topic" {
		t.Fatalf("AlarmTopic type = %q, want AWS::SNS::Topic", got)
	}
	// One optional address: no subscription at all when AlarmEmail is empty.
	sub := tp.Resource("AlarmEmailSubscription")
	if tp.Type("AlarmEmailSubscription") != "AWS::SNS::Subscription" || cfn.Scalar(sub["Condition"]) != "HasAlarmEmail" {
		t.Errorf("AlarmEmailSubscription = %s, want an AWS::SNS::Subscription under HasAlarmEmail", cfn.Describe(sub))
	}
	p := tp.Properties("AlarmEmailSubscription")
	if !cfn.IsRef(p["TopicArn"], "AlarmTopic") || cfn.Scalar(p["Protocol"]) != "email" || !cfn.IsRef(p["Endpoint"], "AlarmEmail") {
		t.Errorf("AlarmEmailSubscription properties = %s", cfn.Describe(p))
	}
	if got := cfn.Describe(tp.Get("Conditions", "HasAlarmEmail")); got != `!Not [!Equals [!Ref "AlarmEmail", ""]]` {
		t.Errorf("HasAlarmEmail = %s", got)
	}
	param := tp.Parameter("AlarmEmail")
	if def, ok := cfn.Get(param, "Default").(string); !ok || def != "" {
		t.Errorf("AlarmEmail default = %s, want ''", cfn.Describe(cfn.Get(param, "Default")))
	}
	pat := regexp.MustCompile("^(?:" + cfn.Scalar(cfn.Get(param, "AllowedPattern")) + ")$")
	for s, want := range map[string]bool{"": true, "ops@soundtime.example": true, "ops": false, "a@b": false, "a@b.c d@e.f": false} {
		if pat.MatchString(s) != want {
			t.Errorf("AlarmEmail AllowedPattern on %q = %v, want %v", s, !want, want)
		}
	}
	if got := tp.Get("Outputs", "AlarmTopicArn", "Value"); !cfn.IsRef(got, "AlarmTopic") {
		t.Errorf("output AlarmTopicArn = %s, want !Ref AlarmTopic", cfn.Describe(got))
	}
}

// Every alarm, the canaries' included, tells the topic when it fires and when it clears.
func TestTemplateAlarmsNotify(t *testing.T) {
	tp := loadTemplate(t)
	alarms := tp.OfType("AWS::CloudWatch::Alarm")
	if len(alarms) < len(functionIDs)+4 {
		t.Fatalf("alarms = %v, want one per function and four more", alarms)
	}
	want := []any{cfn.Ref("AlarmTopic")}
	for _, id := range alarms {
		p := tp.Properties(id)
		for _, k := range []string{"AlarmActions", "OKActions"} {
			if got := cfn.List(p[k]); !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s = %s, want [!Ref AlarmTopic]", id, k, cfn.Describe(p[k]))
			}
		}
		if cfn.Scalar(p["AlarmDescription"]) == "" {
			t.Errorf("%s has no AlarmDescription: the mail would say nothing", id)
		}
	}
}

// failureQueues finds every queue something sends its failures to: a redrive policy's
// dead-letter target, and an OnFailure destination (asynchronous invocation, event source
// mapping). A queue added later is found without a change here.
func failureQueues(tp *cfn.Template) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				var target any
				switch k {
				case "deadLetterTargetArn":
					target = e
				case "OnFailure":
					target = cfn.Get(e, "Destination")
				}
				if r, a, ok := cfn.AsGetAtt(target); ok && a == "Arn" && tp.Type(r) == "AWS::SQS::Queue" && !slices.Contains(out, r) {
					out = append(out, r)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(tp.Get("Resources"))
	slices.Sort(out)
	return out
}

// A message in a dead-letter or failure queue is work that gave up: someone must look.
func TestTemplateFailureQueueAlarms(t *testing.T) {
	tp := loadTemplate(t)
	queues := failureQueues(tp)
	for _, q := range []string{"DeliveryDeadLetterQueue", "ExpireFailureQueue", queueID} {
		if !slices.Contains(queues, q) {
			t.Errorf("failure queues = %v, want %s among them", queues, q)
		}
	}
	for _, q := range queues {
		t.Run(q, func(t *testing.T) {
			var found []string
			for _, id := range tp.OfType("AWS::CloudWatch::Alarm") {
				p := tp.Properties(id)
				dims := cfn.List(p["Dimensions"])
				if len(dims) != 1 || cfn.Scalar(cfn.Get(dims[0], "Name")) != "QueueName" {
					continue
				}
				if r, a, ok := cfn.AsGetAtt(cfn.Get(dims[0], "Value")); !ok || r != q || a != "QueueName" {
					continue
				}
				found = append(found, id)
				for k, want := range map[string]string{
					"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible", "Statistic": "Maximum",
					"Threshold": "0", "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": "1",
					// An empty queue reports nothing after six idle hours: that is normal.
					"TreatMissingData": "notBreaching",
				} {
					if got := cfn.Scalar(p[k]); got != want {
						t.Errorf("%s %s = %q, want %q", id, k, got, want)
					}
				}
			}
			if len(found) != 1 {
				t.Errorf("alarms on %s's depth = %v, want one", q, found)
			}
		})
	}
}

// The failure rate: ProcessingFailures / (TracksReady + ProcessingFailures) over an hour, above
// 20 % with at least ten tracks finished.
func TestTemplateFailureRateAlarm(t *testing.T) {
	tp := loadTemplate(t)
	p := tp.Properties("ProcessingFailureRateAlarm")
	if p == nil {
		t.Fatal("no ProcessingFailureRateAlarm")
	}
	stats := map[string]string{} // query id -> metric name
	var expr string
	for _, q := range cfn.List(p["Metrics"]) {
		id := cfn.Scalar(cfn.Get(q, "Id"))
		if e := cfn.Scalar(cfn.Get(q, "Expression")); e != "" {
			if cfn.Scalar(cfn.Get(q, "ReturnData")) != "true" || expr != "" {
				t.Errorf("expression %s: want the one query returning data", id)
			}
			expr = e
			continue
		}
		if cfn.Scalar(cfn.Get(q, "ReturnData")) != "false" {
			t.Errorf("metric %s returns data: only the rate may", id)
		}
		m := cfn.Get(q, "MetricStat", "Metric")
		if s, _ := cfn.AsSub(cfn.Get(m, "Namespace")); s != metricsNamespaceSub {
			t.Errorf("metric %s namespace = %s, want !Sub %q", id, cfn.Describe(cfn.Get(m, "Namespace")), metricsNamespaceSub)
		}
		if cfn.Get(m, "Dimensions") != nil {
			t.Errorf("metric %s has dimensions: the rate is of every format and code", id)
		}
		if cfn.Scalar(cfn.Get(q, "MetricStat", "Period")) != "3600" || cfn.Scalar(cfn.Get(q, "MetricStat", "Stat")) != "Sum" {
			t.Errorf("metric %s = %s, want the hour's Sum", id, cfn.Describe(cfn.Get(q, "MetricStat")))
		}
		stats[id] = cfn.Scalar(cfn.Get(m, "MetricName"))
	}
	if want := map[string]string{"failed": "ProcessingFailures", "ready": "TracksReady"}; !reflect.DeepEqual(stats, want) {
		t.Errorf("metrics = %v, want %v", stats, want)
	}
	if expr != failureRateExpression {
		t.Errorf("expression = %q, want %q", expr, failureRateExpression)
	}
	for k, want := range map[string]string{"Threshold": "20", "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": "1", "TreatMissingData": "notBreaching"} {
		if got := cfn.Scalar(p[k]); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	// What the expression says, hour by hour (failed, ready -> value).
	for _, c := range []struct{ failed, ready, want float64 }{
		{1, 0, 0},    // one bad file at 3 a.m.: under the minimum volume
		{9, 0, 0},    // still under ten finished
		{2, 8, 20},   // 20 %: not above the threshold
		{3, 7, 30},   // above: pages
		{0, 0, 0},    // no uploads
		{10, 0, 100}, // everything fails
	} {
		if got := failureRate(c.failed, c.ready); got != c.want {
			t.Errorf("rate(failed %v, ready %v) = %v, want %v", c.failed, c.ready, got, c.want)
		}
	}
}

// failureRateExpression is the alarm's metric math, also drawn on the dashboard.
const failureRateExpression = "IF(FILL(failed, 0) + FILL(ready, 0) >= 10, 100 * FILL(failed, 0) / (FILL(failed, 0) + FILL(ready, 0)), 0)"

// failureRate is failureRateExpression in Go, for the table above.
func failureRate(failed, ready float64) float64 {
	if failed+ready >= 10 {
		return 100 * failed / (failed + ready)
	}
	return 0
}

// JSON lines with a level every function shares, a log group of its own with a retention, and
// levels that cannot drop the EMF metric lines (INFO lines).
func TestTemplateLogs(t *testing.T) {
	tp := loadTemplate(t)
	lc := cfn.Get(tp.Globals("Function"), "LoggingConfig")
	if cfn.Scalar(cfn.Get(lc, "LogFormat")) != "JSON" || !cfn.IsRef(cfn.Get(lc, "ApplicationLogLevel"), "LogLevel") || cfn.Scalar(cfn.Get(lc, "SystemLogLevel")) != "WARN" {
		t.Errorf("Globals.Function.LoggingConfig = %s, want JSON, !Ref LogLevel, WARN", cfn.Describe(lc))
	}
	level := tp.Parameter("LogLevel")
	if got := cfn.List(cfn.Get(level, "AllowedValues")); !reflect.DeepEqual(got, []any{"DEBUG", "INFO"}) || cfn.Scalar(cfn.Get(level, "Default")) != "INFO" {
		t.Errorf("LogLevel = %s, want DEBUG or INFO, INFO by default (WARN and up would drop the metrics)", cfn.Describe(level))
	}
	retention := tp.Parameter("LogRetentionDays")
	cloudWatch := []any{"1", "3", "5", "7", "14", "30", "60", "90", "120", "150", "180", "365", "400", "545", "731", "1096", "1827", "2192", "2557", "2922", "3288", "3653"}
	if got := cfn.List(cfn.Get(retention, "AllowedValues")); !reflect.DeepEqual(got, cloudWatch) {
		t.Errorf("LogRetentionDays AllowedValues = %s, want CloudWatch Logs' values %s", cfn.Describe(got), cfn.Describe(cloudWatch))
	}
	if cfn.Scalar(cfn.Get(retention, "Default")) != "30" || cfn.Scalar(cfn.Get(retention, "Type")) != "Number" {
		t.Errorf("LogRetentionDays = %s, want a Number, 30 by default", cfn.Describe(retention))
	}
	used := map[string]string{}
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			merged := cfn.Get(tp.Function(id), "LoggingConfig")
			if cfn.Scalar(cfn.Get(merged, "LogFormat")) != "JSON" {
				t.Errorf("LoggingConfig = %s after Globals, want JSON", cfn.Describe(merged))
			}
			group, ok := cfn.AsRef(cfn.Get(merged, "LogGroup"))
			if !ok || tp.Type(group) != "AWS::Logs::LogGroup" {
				t.Fatalf("LoggingConfig.LogGroup = %s, want a !Ref to an AWS::Logs::LogGroup", cfn.Describe(cfn.Get(merged, "LogGroup")))
			}
			if other, dup := used[group]; dup {
				t.Errorf("%s shares log group %s with %s", id, group, other)
			}
			used[group] = id
			p := tp.Properties(group)
			if !cfn.IsRef(p["RetentionInDays"], "LogRetentionDays") {
				t.Errorf("%s RetentionInDays = %s, want !Ref LogRetentionDays", group, cfn.Describe(p["RetentionInDays"]))
			}
			name := "/aws/lambda/${AWS::StackName}/" + strings.ToLower(strings.TrimSuffix(id, "Function"))
			if s, _ := cfn.AsSub(p["LogGroupName"]); s != name {
				t.Errorf("%s LogGroupName = %s, want !Sub %q", group, cfn.Describe(p["LogGroupName"]), name)
			}
		})
	}
	for _, g := range tp.OfType("AWS::Logs::LogGroup") {
		if _, ok := used[g]; !ok {
			t.Errorf("log group %s belongs to no function", g)
		}
	}
}

// The dashboard's body, after !Sub: every metric the functions emit, with a line per format, code
// and outcome, every alarm, and the AWS services' health for every function, table and queue.
func TestTemplateDashboard(t *testing.T) {
	tp := loadTemplate(t)
	if got := tp.OfType("AWS::CloudWatch::Dashboard"); !slices.Equal(got, []string{"Dashboard"}) {
		t.Fatalf("dashboards = %v, want [Dashboard]", got)
	}
	body, ok := cfn.AsSub(tp.Properties("Dashboard")["DashboardBody"])
	if !ok {
		t.Fatalf("DashboardBody = %s, want a !Sub string (it follows the stack)", cfn.Describe(tp.Properties("Dashboard")["DashboardBody"]))
	}
	// ${Id} and ${Id.Attr} name the template's resources (or pseudo parameters): substitute a
	// placeholder for each, so that the body parses and the tests can find the references.
	for _, ref := range cfn.References(tp.Properties("Dashboard")["DashboardBody"]) {
		if tp.Resource(ref) == nil {
			t.Errorf("the body refers to %s, which is not a resource", ref)
		}
	}
	sub := regexp.MustCompile(`\$\{([^}!]+)\}`)
	var d struct {
		Widgets []struct {
			Type                string
			X, Y, Width, Height int
			Properties          struct {
				Title, Region string
				Alarms        []string
				Metrics       [][]any
			}
		}
	}
	if err := json.Unmarshal([]byte(sub.ReplaceAllString(body, "<$1>")), &d); err != nil {
		t.Fatalf("the body is not JSON after substitution: %v", err)
	}
	const ns = "Soundtime/<AWS::StackName>"
	type metric struct{ namespace, name, dims string }
	plain := map[metric][]string{} // metric -> widget titles
	var expressions []string
	onDashboard := map[string]bool{}
	for _, w := range d.Widgets {
		if w.X < 0 || w.Width < 1 || w.X+w.Width > 24 {
			t.Errorf("widget %q spans columns %d to %d of 24", w.Properties.Title, w.X, w.X+w.Width)
		}
		for _, a := range w.Properties.Alarms {
			onDashboard[a] = true
		}
		for _, m := range w.Properties.Metrics {
			var names []string
			for _, e := range m {
				switch x := e.(type) {
				case string:
					names = append(names, x)
				case map[string]any:
					if s, ok := x["expression"].(string); ok {
						expressions = append(expressions, s)
					}
				}
			}
			if len(names) >= 2 {
				k := metric{names[0], names[1], strings.Join(names[2:], ",")}
				plain[k] = append(plain[k], w.Properties.Title)
				if names[0] == "AWS/CloudFront" && (w.Properties.Region != "us-east-1" || !strings.HasSuffix(k.dims, ",Region,Global")) {
					t.Errorf("CloudFront's %s in region %q with %s: its metrics are in us-east-1 with Region=Global", names[1], w.Properties.Region, k.dims)
				}
			}
		}
	}

	t.Run("EMF", func(t *testing.T) {
		for _, m := range emfMetrics {
			for _, set := range m.dimensions {
				if len(set) == 0 {
					if len(plain[metric{ns, m.name, ""}]) == 0 {
						t.Errorf("%s/%s (no dimension) is not on the dashboard", ns, m.name)
					}
					continue
				}
				search := fmt.Sprintf(`SEARCH('{"%s",%s} MetricName="%s"'`, ns, strings.Join(set, ","), m.name)
				if !slices.ContainsFunc(expressions, func(e string) bool { return strings.HasPrefix(e, search) }) {
					t.Errorf("no %s... expression: %s by %v is not on the dashboard", search, m.name, set)
				}
			}
		}
		if !slices.Contains(expressions, failureRateExpression) {
			t.Error("the failure rate the alarm watches is not drawn")
		}
	})
	t.Run("Alarms", func(t *testing.T) {
		for _, id := range tp.OfType("AWS::CloudWatch::Alarm") {
			if !onDashboard["<"+id+".Arn>"] {
				t.Errorf("alarm %s is not on the dashboard", id)
			}
		}
	})
	t.Run("Services", func(t *testing.T) {
		var want []metric
		for _, fn := range functionIDs {
			for _, name := range []string{"Errors", "Throttles", "Duration"} {
				want = append(want, metric{"AWS/Lambda", name, "FunctionName,<" + fn + ">"})
			}
		}
		want = append(want, metric{"AWS/Lambda", "ConcurrentExecutions", "FunctionName,<ProcessFunction>"})
		for _, name := range []string{"Count", "4xx", "5xx", "Latency"} {
			want = append(want, metric{"AWS/ApiGateway", name, "ApiId,<" + apiID + ">"})
		}
		for _, name := range []string{"Requests", "4xxErrorRate", "5xxErrorRate"} {
			want = append(want, metric{"AWS/CloudFront", name, "DistributionId,<Distribution>,Region,Global"})
		}
		for _, table := range tp.OfType("AWS::DynamoDB::Table") {
			want = append(want, metric{"AWS/DynamoDB", "WriteThrottleEvents", "TableName,<" + table + ">"},
				metric{"AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName,<" + table + ">"})
		}
		for _, q := range tp.OfType("AWS::SQS::Queue") {
			for _, name := range []string{"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"} {
				want = append(want, metric{"AWS/SQS", name, "QueueName,<" + q + ".QueueName>"})
			}
		}
		for _, m := range want {
			if len(plain[m]) == 0 {
				t.Errorf("%s %s (%s) is not on the dashboard", m.namespace, m.name, m.dims)
			}
		}
	})
	if got := tp.Get("Outputs", "DashboardUrl", "Value"); !slices.Contains(cfn.References(got), "Dashboard") {
		t.Errorf("output DashboardUrl = %s, want a link naming the dashboard", cfn.Describe(got))
	}
}
