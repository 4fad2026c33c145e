package soundtime_test

// The Lambda functions as SAM deploys them: Globals, the configuration every function gets, the
// parameters behind it, and what each function is wired to.

import (
	"archive/zip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/internal/cfn"
	"github.com/soundtime/soundtime/pkg/federation"
)

func TestTemplateFunctionGlobals(t *testing.T) {
	tp := loadTemplate(t)
	global := tp.Globals("Function")

	// Runtime, architecture and handler are set once, so a new function cannot silently
	// come out x86 or on a deprecated runtime.
	t.Run("Globals", func(t *testing.T) {
		for k, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "Tracing": "Active", "AutoPublishAlias": "live"} {
			if got := cfn.Scalar(global[k]); got != want {
				t.Errorf("Globals.Function.%s = %q, want %q", k, got, want)
			}
		}
		if got := cfn.List(global["Architectures"]); !reflect.DeepEqual(got, []any{"arm64"}) {
			t.Errorf("Globals.Function.Architectures = %s, want [arm64]", cfn.Describe(got))
		}
		// Any property change publishes a version and goes through the canary, not only code.
		if got := cfn.Scalar(global["AutoPublishAliasAllProperties"]); got != "true" {
			t.Errorf("Globals.Function.AutoPublishAliasAllProperties = %q, want true", got)
		}
		dt := cfn.Get(global, "DeploymentPreference", "Type")
		if !cfn.IsRef(dt, "DeploymentType") {
			t.Errorf("Globals.Function.DeploymentPreference.Type = %s, want !Ref DeploymentType", cfn.Describe(dt))
		}
		if got := cfn.Scalar(cfn.Get(tp.Parameter("DeploymentType"), "Default")); got != "Canary10Percent5Minutes" {
			t.Errorf("DeploymentType default = %q, want Canary10Percent5Minutes", got)
		}
	})

	for _, id := range tp.OfType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			fn := tp.Function(id)
			// Built from its own folder (template_build_test.go checks the Makefile there).
			dir := "functions/" + strings.ToLower(strings.TrimSuffix(id, "Function"))
			for k, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "Tracing": "Active", "AutoPublishAlias": "live", "CodeUri": dir} {
				if got := cfn.Describe(fn[k]); got != strconv.Quote(want) {
					t.Errorf("%s = %s, want %q", k, got, want)
				}
			}
			if got := cfn.List(fn["Architectures"]); !reflect.DeepEqual(got, []any{"arm64"}) {
				t.Errorf("Architectures = %s after merging Globals, want [arm64]", cfn.Describe(got))
			}
			if got := cfn.Scalar(cfn.Get(tp.Resource(id), "Metadata", "BuildMethod")); got != "makefile" {
				t.Errorf("Metadata.BuildMethod = %q, want makefile", got)
			}
			if !cfn.IsRef(cfn.Get(fn, "DeploymentPreference", "Type"), "DeploymentType") {
				t.Errorf("DeploymentPreference.Type = %s, want !Ref DeploymentType", cfn.Describe(cfn.Get(fn, "DeploymentPreference", "Type")))
			}
			// A canary without an alarm shifts all traffic whatever the new version does.
			alarms := cfn.List(cfn.Get(fn, "DeploymentPreference", "Alarms"))
			if len(alarms) == 0 {
				t.Fatalf("DeploymentPreference has no Alarms")
			}
			for _, a := range alarms {
				alarm, ok := cfn.AsRef(a)
				if !ok || tp.Type(alarm) != "AWS::CloudWatch::Alarm" {
					t.Errorf("alarm %s is not a !Ref to an AWS::CloudWatch::Alarm", cfn.Describe(a))
					continue
				}
				checkAliasErrorAlarm(t, tp, alarm, id)
			}
		})
	}
}

// checkAliasErrorAlarm makes sure the alarm watches this function's live alias errors, the
// metric a bad canary moves.
func checkAliasErrorAlarm(t *testing.T, tp *cfn.Template, alarm, fn string) {
	t.Helper()
	p := tp.Properties(alarm)
	if cfn.Scalar(p["Namespace"]) != "AWS/Lambda" || cfn.Scalar(p["MetricName"]) != "Errors" {
		t.Errorf("%s watches %s/%s, want AWS/Lambda/Errors", alarm, cfn.Scalar(p["Namespace"]), cfn.Scalar(p["MetricName"]))
	}
	var fnDim, resDim bool
	for _, d := range cfn.List(p["Dimensions"]) {
		switch cfn.Scalar(cfn.Get(d, "Name")) {
		case "FunctionName":
			fnDim = cfn.IsRef(cfn.Get(d, "Value"), fn)
		case "Resource":
			s, _ := cfn.AsSub(cfn.Get(d, "Value"))
			resDim = s == "${"+fn+"}:live"
		}
	}
	if !fnDim || !resDim {
		t.Errorf("%s dimensions must be FunctionName=!Ref %s and Resource=!Sub '${%s}:live'", alarm, fn, fn)
	}
}

// The configuration names of docs/api.md; every function gets every one so that pkg/config can
// load one struct everywhere, in Lambda as under make dev. PUBLIC_BASE_URL is derived, see
// TestTemplatePublicBaseUrl.
var configParams = []struct{ env, param, def string }{
	{"RETENTION", "Retention", "336h"},
	{"PENDING_TTL", "PendingTtl", "10m"},
	{"FAILED_TTL", "FailedTtl", "24h"},
	{"MAX_UPLOAD_BYTES", "MaxUploadBytes", "2147483648"},
	{"MAX_DURATION", "MaxDuration", "4h"},
	{"UPLOAD_URL_TTL", "UploadUrlTtl", "10m"},
	{"MEDIA_URL_TTL", "MediaUrlTtl", "30m"},
	{"HLS_SEGMENT_SECONDS", "HlsSegmentSeconds", "10"},
	{"UPLOAD_MIN_SPEED", "UploadMinSpeed", "125000"},
	{"MULTIPART_THRESHOLD", "MultipartThreshold", "67108864"},
	{"FEDERATION", "Federation", "true"},
	{"FEDERATION_HANDLE", "FederationHandle", "tracks"},
	{"FEDERATION_BLOCKED_DOMAINS", "FederationBlockedDomains", ""},
	{"FEDERATION_RETRY_BASE", "FederationRetryBase", "1m"},
}

func TestTemplateEnvironment(t *testing.T) {
	tp := loadTemplate(t)
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			vars, _ := cfn.Get(tp.Function(id), "Environment", "Variables").(map[string]any)
			for _, c := range configParams {
				v, ok := vars[c.env]
				if !ok {
					t.Errorf("%s missing", c.env)
					continue
				}
				if !cfn.IsRef(v, c.param) {
					t.Errorf("%s = %s, want !Ref %s", c.env, cfn.Describe(v), c.param)
					continue
				}
				if got := cfn.Scalar(cfn.Get(tp.Parameter(c.param), "Default")); got != c.def {
					t.Errorf("parameter %s default = %q, want %q", c.param, got, c.def)
				}
			}
			if !reflect.DeepEqual(vars["PUBLIC_BASE_URL"], publicBaseURL) {
				t.Errorf("PUBLIC_BASE_URL = %s, want %s", cfn.Describe(vars["PUBLIC_BASE_URL"]), cfn.Describe(publicBaseURL))
			}
			if s, _ := cfn.AsSub(vars["METRICS_NAMESPACE"]); s != metricsNamespaceSub {
				t.Errorf("METRICS_NAMESPACE = %s, want !Sub %q", cfn.Describe(vars["METRICS_NAMESPACE"]), metricsNamespaceSub)
			}
			if v := vars["TABLE_NAME"]; !cfn.IsRef(v, tableID) {
				t.Errorf("TABLE_NAME = %s, want !Ref %s", cfn.Describe(v), tableID)
			}
			if s, _ := cfn.AsSub(vars["MEDIA_BUCKET"]); s != bucketNameSub {
				t.Errorf("MEDIA_BUCKET = %s, want !Sub %q (never a !Ref: see the circular dependency test)", cfn.Describe(vars["MEDIA_BUCKET"]), bucketNameSub)
			}
		})
	}
}

const (
	// The placeholder origin of a first deploy without a domain, until make deploy sets
	// PublicBaseUrl to the SiteUrl output (.invalid never resolves: RFC 2606).
	placeholderOrigin = "https://public-base-url.invalid"
	// One metrics namespace per stack (the EMF lines' CloudWatchMetrics[].Namespace).
	metricsNamespaceSub = "Soundtime/${AWS::StackName}"
)

// publicBaseURL is the origin the functions link to: PublicBaseUrl if set, else the custom
// domain, else the placeholder.
var publicBaseURL = cfn.Intrinsic{Fn: "Fn::If", Arg: []any{
	"HasPublicBaseUrl",
	cfn.Ref("PublicBaseUrl"),
	cfn.Intrinsic{Fn: "Fn::If", Arg: []any{"HasDomain", cfn.Sub("https://${DomainName}"), placeholderOrigin}},
}}

// The origin is derived so that a first deploy needs no hand-entered URL (docs/deploy.md): the
// functions and the PublicBaseUrl output that make deploy compares with SiteUrl use one
// expression, and the output SiteUrl is what make deploy sets PublicBaseUrl to.
func TestTemplatePublicBaseUrl(t *testing.T) {
	tp := loadTemplate(t)
	p := tp.Parameter("PublicBaseUrl")
	if def, ok := cfn.Get(p, "Default").(string); !ok || def != "" {
		t.Errorf("PublicBaseUrl default = %s, want '' (derived)", cfn.Describe(cfn.Get(p, "Default")))
	}
	pat := regexp.MustCompile("^(?:" + cfn.Scalar(cfn.Get(p, "AllowedPattern")) + ")$")
	for _, ok := range []string{"", "https://soundtime.example", "https://d111111abcdef8.cloudfront.net", "http://127.0.0.1:8080"} {
		if !pat.MatchString(ok) {
			t.Errorf("PublicBaseUrl AllowedPattern refuses %q", ok)
		}
	}
	// The CORS origin must match the browser's Origin header exactly.
	for _, bad := range []string{"soundtime.example", "https://soundtime.example/", "https://soundtime.example/app", "ftp://x.example"} {
		if pat.MatchString(bad) {
			t.Errorf("PublicBaseUrl AllowedPattern accepts %q", bad)
		}
	}
	for name, want := range map[string]string{
		"HasPublicBaseUrl": `!Not [!Equals [!Ref "PublicBaseUrl", ""]]`,
		"HasDomain":        `!Not [!Equals [!Ref "DomainName", ""]]`,
	} {
		if got := cfn.Describe(tp.Get("Conditions", name)); got != want {
			t.Errorf("condition %s = %s, want %s", name, got, want)
		}
	}
	if got := tp.Get("Outputs", "PublicBaseUrl", "Value"); !reflect.DeepEqual(got, publicBaseURL) {
		t.Errorf("output PublicBaseUrl = %s, want the functions' PUBLIC_BASE_URL, %s", cfn.Describe(got), cfn.Describe(publicBaseURL))
	}
	site := cfn.Intrinsic{Fn: "Fn::If", Arg: []any{"HasDomain", cfn.Sub("https://${DomainName}"), cfn.Sub("https://${Distribution.DomainName}")}}
	if got := tp.Get("Outputs", "SiteUrl", "Value"); !reflect.DeepEqual(got, site) {
		t.Errorf("output SiteUrl = %s, want %s", cfn.Describe(got), cfn.Describe(site))
	}
}

func TestTemplateParameters(t *testing.T) {
	tp := loadTemplate(t)
	for _, name := range []string{"PublicBaseUrl", "DeploymentType", "ThrottlingBurstLimit", "ThrottlingRateLimit"} {
		if tp.Parameter(name) == nil {
			t.Errorf("parameter %s missing", name)
		}
	}
	for _, name := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit", "MaxUploadBytes", "HlsSegmentSeconds"} {
		if got := cfn.Scalar(cfn.Get(tp.Parameter(name), "Type")); got != "Number" {
			t.Errorf("parameter %s Type = %q, want Number", name, got)
		}
	}
	// ffmpeg's -hls_time: under 2 s the segment count (and S3 GETs) explodes for long tracks,
	// over 30 s the first sound waits for a whole segment.
	hls := tp.Parameter("HlsSegmentSeconds")
	if lo, hi := cfn.Scalar(cfn.Get(hls, "MinValue")), cfn.Scalar(cfn.Get(hls, "MaxValue")); lo != "2" || hi != "30" {
		t.Errorf("HlsSegmentSeconds MinValue/MaxValue = %q/%q, want 2/30", lo, hi)
	}
	// A duration the functions' time.ParseDuration rejects would fail every cold start, and a
	// default that breaks its own AllowedPattern fails every deploy that keeps it.
	for _, c := range configParams {
		p := tp.Parameter(c.param)
		def := cfn.Scalar(cfn.Get(p, "Default"))
		if pat := cfn.Scalar(cfn.Get(p, "AllowedPattern")); pat != "" {
			if re, err := regexp.Compile("^(?:" + pat + ")$"); err != nil {
				t.Errorf("%s AllowedPattern %q: %v", c.param, pat, err)
			} else if !re.MatchString(def) {
				t.Errorf("%s default %q does not match its AllowedPattern %q", c.param, def, pat)
			}
		}
		if strings.HasSuffix(c.env, "_TTL") || c.env == "RETENTION" || c.env == "MAX_DURATION" {
			if _, err := time.ParseDuration(def); err != nil {
				t.Errorf("%s default %q: %v", c.param, def, err)
			}
		}
	}
}

func TestTemplateProcessFunction(t *testing.T) {
	tp := loadTemplate(t)
	fn := tp.Function("ProcessFunction")
	checks := []struct {
		name string
		got  any
		want string
	}{
		{"Timeout", fn["Timeout"], "900"},
		{"MemorySize", fn["MemorySize"], "3008"},
		{"EphemeralStorage.Size", cfn.Get(fn, "EphemeralStorage", "Size"), "10240"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if cfn.Scalar(c.got) != c.want {
				t.Errorf("%s = %s, want %s", c.name, cfn.Describe(c.got), c.want)
			}
		})
	}
	// Its trigger, the process queue, is TestTemplateProcessQueue's.
}

// The expire function: the tracks table's stream, REMOVE records only, with partial batch
// responses, bisection, a bounded retry and an on-failure queue, so that one bad record can
// neither block the shard for a day nor vanish.
func TestTemplateExpireFunction(t *testing.T) {
	checkStreamConsumer(t, loadTemplate(t), "ExpireFunction", expireQueueID)
}

// The unlist function, the stream's second consumer, is set up as the expire function: the same
// records (each handler skips what is not its own), the same bounded retries, a queue of its own.
func TestTemplateUnlistFunction(t *testing.T) {
	checkStreamConsumer(t, loadTemplate(t), "UnlistFunction", "UnlistFailureQueue")
}

func checkStreamConsumer(t *testing.T, tp *cfn.Template, id, failureQueue string) {
	t.Helper()
	fn := tp.Function(id)
	for k, want := range map[string]string{"Timeout": "300", "MemorySize": "256"} {
		if got := cfn.Scalar(fn[k]); got != want {
			t.Errorf("%s = %s, want %s", k, cfn.Describe(fn[k]), want)
		}
	}
	evs, _ := fn["Events"].(map[string]any)
	streams := tp.Events(id, "DynamoDB")
	if len(streams) != 1 || len(evs) != 1 {
		t.Fatalf("events = %s, want exactly one DynamoDB event", cfn.Describe(evs))
	}
	var p any
	for _, e := range streams {
		p = cfn.Get(e, "Properties")
	}
	if r, a, ok := cfn.AsGetAtt(cfn.Get(p, "Stream")); !ok || r != tableID || a != "StreamArn" {
		t.Errorf("Stream = %s, want !GetAtt %s.StreamArn", cfn.Describe(cfn.Get(p, "Stream")), tableID)
	}
	checks := []struct {
		name string
		want string
	}{
		// The oldest record still in the stream: a removal is never skipped.
		{"StartingPosition", "TRIM_HORIZON"},
		{"BatchSize", "100"},
		{"MaximumBatchingWindowInSeconds", "5"},
		// A failing record is split out of its batch instead of failing its neighbours…
		{"BisectBatchOnFunctionError", "true"},
		// …and retried a bounded number of times (-1, the default, retries until the record
		// expires from the stream and blocks the shard meanwhile)…
		{"MaximumRetryAttempts", "5"},
		// …for at most the stream's own retention.
		{"MaximumRecordAgeInSeconds", "86400"},
	}
	for _, c := range checks {
		if got := cfn.Get(p, c.name); cfn.Scalar(got) != c.want {
			t.Errorf("%s = %s, want %s", c.name, cfn.Describe(got), c.want)
		}
	}
	t.Run("ReportBatchItemFailures", func(t *testing.T) {
		// The handler reports failed records by SequenceNumber with a nil error; without this
		// Lambda ignores the response and counts the batch a success.
		if got := cfn.List(cfn.Get(p, "FunctionResponseTypes")); !reflect.DeepEqual(got, []any{"ReportBatchItemFailures"}) {
			t.Errorf("FunctionResponseTypes = %s, want [ReportBatchItemFailures]", cfn.Describe(got))
		}
	})
	t.Run("FilterREMOVE", func(t *testing.T) {
		filters := cfn.List(cfn.Get(p, "FilterCriteria", "Filters"))
		if len(filters) != 1 {
			t.Fatalf("FilterCriteria.Filters = %s, want exactly one", cfn.Describe(filters))
		}
		pat := cfn.Scalar(cfn.Get(filters[0], "Pattern"))
		var got any
		if err := json.Unmarshal([]byte(pat), &got); err != nil {
			t.Fatalf("Pattern %q is not JSON: %v", pat, err)
		}
		if !reflect.DeepEqual(got, map[string]any{"eventName": []any{"REMOVE"}}) {
			t.Errorf(`Pattern = %s, want {"eventName": ["REMOVE"]}`, pat)
		}
	})
	t.Run("OnFailure", func(t *testing.T) {
		onFailure := cfn.Get(p, "DestinationConfig", "OnFailure")
		// Type: SQS is what makes SAM grant the role sqs:SendMessage on the destination; the
		// policy test allows no explicit grant for it.
		if got := cfn.Scalar(cfn.Get(onFailure, "Type")); got != "SQS" {
			t.Errorf("DestinationConfig.OnFailure.Type = %q, want SQS (SAM then grants sqs:SendMessage)", got)
		}
		checkFailureQueue(t, tp, cfn.Get(onFailure, "Destination"), failureQueue)
	})
}

// Only the expire and unlist functions read the tracks table's stream: a DynamoDB stream serves
// two readers a shard without throttling, so a third consumer needs another design (a fan-out).
func TestTemplateStreamConsumers(t *testing.T) {
	tp := loadTemplate(t)
	var found []string
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		for range tp.Events(id, "DynamoDB") {
			found = append(found, id)
		}
	}
	slices.Sort(found)
	if !slices.Equal(found, []string{"ExpireFunction", "UnlistFunction"}) {
		t.Errorf("DynamoDB stream events on %v, want one each on ExpireFunction and UnlistFunction", found)
	}
}

// The reconcile function: once a day, enabled, with the time to walk the whole bucket.
func TestTemplateReconcileFunction(t *testing.T) {
	tp := loadTemplate(t)
	const id = "ReconcileFunction"
	fn := tp.Function(id)
	for k, want := range map[string]string{"Timeout": "900", "MemorySize": "512"} {
		if got := cfn.Scalar(fn[k]); got != want {
			t.Errorf("%s = %s, want %s", k, cfn.Describe(fn[k]), want)
		}
	}
	evs, _ := fn["Events"].(map[string]any)
	schedules := tp.Events(id, "Schedule")
	if len(schedules) != 1 || len(evs) != 1 {
		t.Fatalf("events = %s, want exactly one Schedule event", cfn.Describe(evs))
	}
	for name, e := range schedules {
		p := cfn.Get(e, "Properties")
		if got := cfn.Scalar(cfn.Get(p, "Schedule")); got != "rate(1 day)" {
			t.Errorf("%s.Schedule = %q, want rate(1 day)", name, got)
		}
		// Enabled defaults to true; State (the newer spelling) must not disable it either.
		if v := cfn.Get(p, "Enabled"); v != nil && cfn.Scalar(v) != "true" {
			t.Errorf("%s.Enabled = %s, want true", name, cfn.Describe(v))
		}
		if v := cfn.Get(p, "State"); v != nil && cfn.Scalar(v) != "ENABLED" {
			t.Errorf("%s.State = %s, want ENABLED", name, cfn.Describe(v))
		}
	}
	for _, other := range tp.OfType("AWS::Serverless::Function") {
		if other != id && other != "SweepFunction" && len(tp.Events(other, "Schedule")) != 0 {
			t.Errorf("%s has a Schedule event: only %s and SweepFunction run on a schedule", other, id)
		}
	}
}

// The sweep function: every five minutes, it hands lost uploads and dead runs to the process
// queue (TestTemplateProcessQueue), whose function's timeout is the PROCESS_TIMEOUT every
// function reads; the table has the sparse index it queries.
func TestTemplateSweepFunction(t *testing.T) {
	tp := loadTemplate(t)
	schedules := tp.Events("SweepFunction", "Schedule")
	if len(schedules) != 1 {
		t.Fatalf("Schedule events = %d, want 1", len(schedules))
	}
	for name, e := range schedules {
		if got := cfn.Scalar(cfn.Get(e, "Properties", "Schedule")); got != "rate(5 minutes)" {
			t.Errorf("%s.Schedule = %q, want rate(5 minutes)", name, got)
		}
	}
	timeout, err := strconv.Atoi(cfn.Scalar(tp.Function("ProcessFunction")["Timeout"]))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		d, err := time.ParseDuration(cfn.Scalar(cfn.Get(tp.Function(id), "Environment", "Variables", "PROCESS_TIMEOUT")))
		if err != nil || d != time.Duration(timeout)*time.Second {
			t.Errorf("%s: PROCESS_TIMEOUT = %v (%v), want the process function's Timeout, %d s", id, d, err, timeout)
		}
	}
	var found bool
	for _, gsi := range cfn.List(tp.Properties(tableID)["GlobalSecondaryIndexes"]) {
		if cfn.Scalar(cfn.Get(gsi, "IndexName")) != "sweep" {
			continue
		}
		found = true
		keys := cfn.List(cfn.Get(gsi, "KeySchema"))
		if len(keys) != 2 || cfn.Scalar(cfn.Get(keys[0], "AttributeName")) != "sweep" || cfn.Scalar(cfn.Get(keys[1], "AttributeName")) != "sweepAt" ||
			cfn.Scalar(cfn.Get(gsi, "Projection", "ProjectionType")) != "KEYS_ONLY" {
			t.Errorf("index sweep = %s, want sweep (HASH), sweepAt (RANGE), keys only", cfn.Describe(gsi))
		}
	}
	if !found {
		t.Error("the tracks table has no sweep index")
	}
	types := map[string]string{}
	for _, a := range cfn.List(tp.Properties(tableID)["AttributeDefinitions"]) {
		types[cfn.Scalar(cfn.Get(a, "AttributeName"))] = cfn.Scalar(cfn.Get(a, "AttributeType"))
	}
	if types["sweep"] != "S" || types["sweepAt"] != "N" {
		t.Errorf("attribute types = %v, want sweep S and sweepAt N (pkg/dynamo writes them so)", types)
	}
}

const (
	// sam build runs `make build-FfmpegLayer` in layerDir, which puts the binary where Lambda
	// mounts it (/opt) plus bin/ffmpeg.
	layerDir        = "layers/ffmpeg"
	layerFFmpegPath = "/opt/bin/ffmpeg"
	// Lambda's limit for a function and all its layers, unzipped, and what the layer may take of
	// it (LAYER_MAX_BYTES in layers/ffmpeg/Makefile, which refuses a bigger layer).
	lambdaUnzippedLimit = 250 << 20
	layerBudgetBytes    = 200_000_000
	// The pinned arm64 binary (layers/ffmpeg/pins.mk), in bytes: fixed by its SHA-256.
	pinnedFFmpegArm64Bytes = 32_808_336
)

// The ffmpeg layer: built by sam build for the functions' architecture and runtime, attached to
// the process function only, within Lambda's size limit, and able to move the live alias.
func TestTemplateFfmpegLayer(t *testing.T) {
	tp := loadTemplate(t)
	if got := tp.Type(layerID); got != "AWS::Serverless::LayerVersion" {
		t.Fatalf("%s type = %q, want AWS::Serverless::LayerVersion", layerID, got)
	}
	p := tp.Properties(layerID)
	global := tp.Globals("Function")

	t.Run("Build", func(t *testing.T) {
		md := cfn.Get(tp.Resource(layerID), "Metadata")
		if cfn.Scalar(cfn.Get(md, "BuildMethod")) != "makefile" || cfn.Scalar(cfn.Get(md, "BuildArchitecture")) != "arm64" {
			t.Errorf("Metadata = %s, want BuildMethod makefile, BuildArchitecture arm64", cfn.Describe(md))
		}
		if got := strings.TrimSuffix(cfn.Scalar(p["ContentUri"]), "/"); got != layerDir {
			t.Errorf("ContentUri = %s, want %s/", cfn.Describe(p["ContentUri"]), layerDir)
		}
		// The target must put the binary where FFMPEG_PATH says: ARTIFACTS_DIR becomes /opt.
		raw, err := os.ReadFile(filepath.Join(layerDir, "Makefile"))
		if err != nil {
			t.Fatal(err)
		}
		recipe := makeRecipe(string(raw), "build-"+layerID)
		if !strings.Contains(recipe, "$(ARTIFACTS_DIR)/bin/ffmpeg") {
			t.Errorf("build-%s does not lay out bin/ffmpeg under $(ARTIFACTS_DIR):\n%s", layerID, recipe)
		}
		if m := regexp.MustCompile(`(?m)^LAYER_MAX_BYTES\s*:=\s*(\d+)`).FindStringSubmatch(string(raw)); m == nil || m[1] != strconv.Itoa(layerBudgetBytes) {
			t.Errorf("%s/Makefile LAYER_MAX_BYTES = %v, want %d (layerBudgetBytes)", layerDir, m, layerBudgetBytes)
		}
	})
	t.Run("Compatibility", func(t *testing.T) {
		if got := cfn.List(p["CompatibleArchitectures"]); !reflect.DeepEqual(got, cfn.List(global["Architectures"])) || !reflect.DeepEqual(got, []any{"arm64"}) {
			t.Errorf("CompatibleArchitectures = %s, want [arm64] like the functions", cfn.Describe(got))
		}
		if got := cfn.List(p["CompatibleRuntimes"]); !reflect.DeepEqual(got, []any{global["Runtime"]}) || !reflect.DeepEqual(got, []any{"provided.al2023"}) {
			t.Errorf("CompatibleRuntimes = %s, want [provided.al2023] like the functions", cfn.Describe(got))
		}
	})
	t.Run("License", func(t *testing.T) {
		// The static builds are configured --enable-gpl --enable-version3.
		if got := cfn.Scalar(p["LicenseInfo"]); got != "GPL-3.0-or-later" {
			t.Errorf("LicenseInfo = %q, want GPL-3.0-or-later", got)
		}
	})
	t.Run("RetentionPolicy", func(t *testing.T) {
		if got := cfn.Scalar(p["RetentionPolicy"]); got != "Delete" {
			t.Errorf("RetentionPolicy = %q, want Delete (functions keep a deleted version they use)", got)
		}
	})
	t.Run("AttachedToProcessOnly", func(t *testing.T) {
		if global["Layers"] != nil {
			t.Errorf("Globals.Function.Layers = %s: ffmpeg belongs to the process function only", cfn.Describe(global["Layers"]))
		}
		for _, id := range tp.OfType("AWS::Serverless::Function") {
			fn := tp.Function(id)
			layers := cfn.List(fn["Layers"])
			vars, _ := cfn.Get(fn, "Environment", "Variables").(map[string]any)
			path, hasPath := vars["FFMPEG_PATH"]
			if id == "ProcessFunction" {
				if len(layers) != 1 || !cfn.IsRef(layers[0], layerID) {
					t.Errorf("%s Layers = %s, want [!Ref %s]", id, cfn.Describe(layers), layerID)
				}
				if cfn.Scalar(path) != layerFFmpegPath {
					t.Errorf("%s FFMPEG_PATH = %s, want %q", id, cfn.Describe(path), layerFFmpegPath)
				}
				continue
			}
			if len(layers) != 0 || hasPath {
				t.Errorf("%s has Layers %s / FFMPEG_PATH %s: only ProcessFunction runs ffmpeg", id, cfn.Describe(layers), cfn.Describe(path))
			}
		}
	})
	t.Run("Size", func(t *testing.T) {
		// The pinned binary, and the built layer if `make layer` ran: what an override adds is
		// checked by the layer Makefile itself.
		size := int64(pinnedFFmpegArm64Bytes)
		if zr, err := zip.OpenReader(filepath.Join(layerDir, "build", "ffmpeg-arm64.zip")); err == nil {
			size = 0
			for _, f := range zr.File {
				size += int64(f.UncompressedSize64)
			}
			zr.Close()
		}
		if size >= layerBudgetBytes {
			t.Errorf("ffmpeg layer unzipped = %d bytes, want < %d", size, layerBudgetBytes)
		}
		// The rest of the 250 MB is the process function's own code (bootstrap: about 11 MB).
		if left := lambdaUnzippedLimit - layerBudgetBytes; left < 40<<20 {
			t.Errorf("layer budget leaves %d bytes for the function, want at least 40 MiB", left)
		}
	})
	t.Run("VersionFollowsLayer", func(t *testing.T) {
		// SAM hashes a function's properties into its version only under
		// AutoPublishAliasAllProperties, and a layer's (its packaged ContentUri) only with
		// PublishLambdaVersion: without both a new ffmpeg alone would update $LATEST and never
		// reach the live alias. TestTemplateLayerChangePublishesVersion runs SAM's translator.
		if got := cfn.Scalar(cfn.Get(global, "AutoPublishAliasAllProperties")); got != "true" {
			t.Errorf("Globals.Function.AutoPublishAliasAllProperties = %q, want true", got)
		}
		if got := cfn.Scalar(p["PublishLambdaVersion"]); got != "true" {
			t.Errorf("%s PublishLambdaVersion = %q, want true", layerID, got)
		}
	})
}

// Federation: the deliver function consumes the delivery queue with partial batch responses and
// bounded concurrency; the queue retries a delivery as many times as the code expects and keeps
// what fails in a dead-letter queue someone is alarmed about; every function gets the queue,
// the followers table and the key parameter the federation and deliver roles may use.
func TestTemplateFederation(t *testing.T) {
	tp := loadTemplate(t)
	sqsEvents := tp.Events("DeliverFunction", "SQS")
	if len(sqsEvents) != 1 {
		t.Fatalf("DeliverFunction SQS events = %d, want 1", len(sqsEvents))
	}
	for name, e := range sqsEvents {
		p := cfn.Get(e, "Properties")
		if res, attr, ok := cfn.AsGetAtt(cfn.Get(p, "Queue")); !ok || res != "DeliveryQueue" || attr != "Arn" {
			t.Errorf("%s.Queue = %s, want !GetAtt DeliveryQueue.Arn", name, cfn.Describe(cfn.Get(p, "Queue")))
		}
		if !slices.Contains(cfn.List(cfn.Get(p, "FunctionResponseTypes")), any("ReportBatchItemFailures")) {
			t.Errorf("%s: no ReportBatchItemFailures: one failed delivery would retry the whole batch", name)
		}
		if n, _ := strconv.Atoi(cfn.Scalar(cfn.Get(p, "ScalingConfig", "MaximumConcurrency"))); n < 2 || n > 20 {
			t.Errorf("%s: MaximumConcurrency = %v, want a small bound", name, cfn.Get(p, "ScalingConfig", "MaximumConcurrency"))
		}
	}
	q := tp.Properties("DeliveryQueue")
	if got := cfn.Scalar(cfn.Get(q, "RedrivePolicy", "maxReceiveCount")); got != strconv.Itoa(federation.DeliveryAttempts) {
		t.Errorf("maxReceiveCount = %s, want federation.DeliveryAttempts (%d)", got, federation.DeliveryAttempts)
	}
	if res, _, ok := cfn.AsGetAtt(cfn.Get(q, "RedrivePolicy", "deadLetterTargetArn")); !ok || res != "DeliveryDeadLetterQueue" {
		t.Errorf("dead-letter target = %s", cfn.Describe(cfn.Get(q, "RedrivePolicy", "deadLetterTargetArn")))
	}
	timeout, _ := strconv.Atoi(cfn.Scalar(tp.Function("DeliverFunction")["Timeout"]))
	if vis, _ := strconv.Atoi(cfn.Scalar(cfn.Get(q, "VisibilityTimeout"))); vis < 6*timeout {
		t.Errorf("VisibilityTimeout = %d, want at least six times the deliver function's %d s", vis, timeout)
	}
	// Retries span about two days: the retention must outlast them.
	var total time.Duration
	for a := 1; a < federation.DeliveryAttempts; a++ {
		total += federation.Backoff(time.Minute, a)
	}
	if ret, _ := strconv.Atoi(cfn.Scalar(cfn.Get(q, "MessageRetentionPeriod"))); time.Duration(ret)*time.Second < total {
		t.Errorf("MessageRetentionPeriod %d s is shorter than the retries (%v)", ret, total)
	}
	if total < 36*time.Hour || total > 72*time.Hour {
		t.Errorf("retries span %v, want about two days", total)
	}
	alarm := tp.Properties("DeliveryDeadLetterAlarm")
	if res, attr, ok := cfn.AsGetAtt(cfn.Get(cfn.List(cfn.Get(alarm, "Dimensions"))[0], "Value")); !ok || res != "DeliveryDeadLetterQueue" || attr != "QueueName" {
		t.Errorf("the dead-letter alarm watches %s", cfn.Describe(cfn.Get(alarm, "Dimensions")))
	}
	globals := tp.Globals("Function")
	env := cfn.Get(globals, "Environment", "Variables")
	if !cfn.IsRef(cfn.Get(env, "DELIVERY_QUEUE_URL"), "DeliveryQueue") || !cfn.IsRef(cfn.Get(env, "FOLLOWERS_TABLE"), "FollowersTable") {
		t.Errorf("DELIVERY_QUEUE_URL / FOLLOWERS_TABLE = %s / %s", cfn.Describe(cfn.Get(env, "DELIVERY_QUEUE_URL")), cfn.Describe(cfn.Get(env, "FOLLOWERS_TABLE")))
	}
	if s, _ := cfn.AsSub(cfn.Get(env, "ACTOR_KEY_PARAMETER")); s != "/${AWS::StackName}/federation/actor-key" {
		t.Errorf("ACTOR_KEY_PARAMETER = %s", cfn.Describe(cfn.Get(env, "ACTOR_KEY_PARAMETER")))
	}
	if key := cfn.Get(tp.Properties("FollowersTable"), "KeySchema"); cfn.Scalar(cfn.Get(cfn.List(key)[0], "AttributeName")) != "actor" {
		t.Errorf("followers key = %s, want actor", cfn.Describe(key))
	}
	if tp.Properties("FollowersTable")["StreamSpecification"] != nil {
		t.Error("the followers table has a stream: nothing reads one")
	}
}

// A deploy that changes only the ffmpeg layer must publish a new version of the process function
// (and so run the canary): SAM's own translator, run on this template with the layer's packaged
// URI changed, must give ProcessFunction a new version and leave every other function's alone.
// The same run without PublishLambdaVersion shows what this test catches.
func TestTemplateLayerChangePublishesVersion(t *testing.T) {
	before := samVersions(t, "s3://artifacts/ffmpeg-layer-a.zip")
	after := samVersions(t, "s3://artifacts/ffmpeg-layer-b.zip")
	if len(before) != len(functionIDs) {
		t.Fatalf("versions = %v, want one per function", before)
	}
	for _, id := range functionIDs {
		changed := before[id] != after[id]
		if id == "ProcessFunction" && !changed {
			t.Errorf("ProcessFunction keeps version %s when only the ffmpeg layer changes", before[id])
		}
		if id != "ProcessFunction" && changed {
			t.Errorf("%s publishes a version (%s -> %s) though it has no layer", id, before[id], after[id])
		}
	}
	a := samVersions(t, "s3://artifacts/ffmpeg-layer-a.zip", "--no-publish")
	b := samVersions(t, "s3://artifacts/ffmpeg-layer-b.zip", "--no-publish")
	if a["ProcessFunction"] != b["ProcessFunction"] {
		t.Errorf("without PublishLambdaVersion the version changed too (%s -> %s): this test proves nothing", a["ProcessFunction"], b["ProcessFunction"])
	}
}

// samVersions runs SAM's translator (testdata/sam_versions.py, with the aws-sam-translator that
// cfn-lint brings, like `make lint-template`) and returns each function's version logical ID.
func samVersions(t *testing.T, layerURI string, flags ...string) map[string]string {
	t.Helper()
	cmd := exec.Command("python3", append([]string{filepath.Join("testdata", "sam_versions.py"), templatePath, layerURI}, flags...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 testdata/sam_versions.py: %v\n%s\n(it needs cfn-lint's aws-sam-translator: pip install 'cfn-lint==%s')", err, stderr.String(), cfnLintVersion)
	}
	var versions map[string]string
	if err := json.Unmarshal(out, &versions); err != nil {
		t.Fatalf("sam_versions.py printed %q: %v", out, err)
	}
	return versions
}
