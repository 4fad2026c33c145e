package soundtime_test

// Offline checks of template.yaml, samconfig.toml's stack name and the sample events in events/.
// There is no AWS account, sam CLI or Docker where this runs, so these tests are what stands
// between a template edit and a failed (or, worse, over-privileged) deploy.

import (
	"archive/zip"
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"gopkg.in/yaml.v3"

	"github.com/soundtime/soundtime/pkg/httpapi"
)

const (
	templatePath = "template.yaml"
	// go test runs in the package directory, which is the repository root: this is the
	// Makefile sam build calls for BuildMethod: makefile.
	makefilePath  = "Makefile"
	samconfigPath = "samconfig.toml"
	eventsDir     = "events"

	tableID  = "TracksTable"
	bucketID = "MediaBucket"
	apiID    = "HttpApi"
	queueID  = "ProcessFailureQueue"
	layerID  = "FfmpegLayer"

	// Where the expire function's event source mapping sends the stream records it gave up on.
	expireQueueID = "ExpireFailureQueue"

	// The ffmpeg layer: sam build runs `make build-FfmpegLayer` in layerDir, which puts the
	// binary where Lambda mounts it (/opt) plus bin/ffmpeg.
	layerDir        = "layers/ffmpeg"
	layerFFmpegPath = "/opt/bin/ffmpeg"
	// Lambda's limit for a function and all its layers, unzipped, and what the layer may take of
	// it (LAYER_MAX_BYTES in layers/ffmpeg/Makefile, which refuses a bigger layer).
	lambdaUnzippedLimit = 250 << 20
	layerBudgetBytes    = 200_000_000
	// The pinned arm64 binary (layers/ffmpeg/pins.mk), in bytes: fixed by its SHA-256.
	pinnedFFmpegArm64Bytes = 32_808_336

	// The media bucket's name is derived, not generated, so that policies can name it without
	// a Ref (see NOTES.md: a Ref from a triggered function's role to its bucket is a cycle).
	bucketNameSub = "${AWS::StackName}-media-${AWS::AccountId}-${AWS::Region}"
	bucketArnSub  = "arn:${AWS::Partition}:s3:::" + bucketNameSub
)

// The design's functions, by logical ID. The Makefile's build-<LogicalId> targets and the
// functions/<name> directories follow these names.
var functionIDs = []string{"UploadFunction", "TrackFunction", "DownloadFunction", "ProcessFunction", "SweepFunction", "ExpireFunction", "ReconcileFunction"}

// ---------------------------------------------------------------------------------------------
// A small CloudFormation value model. yaml.v3 keeps short-form intrinsics (!Ref, !Sub, !GetAtt…)
// as node tags; every tagged node and every long-form {"Ref": …}/{"Fn::…": …} map becomes an
// intrinsic, so the tests never care which of the two spellings the template uses.

type intrinsic struct {
	Fn  string // "Ref", "Fn::GetAtt", "Fn::Sub", …
	Arg any
}

func toValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return toValue(n.Content[0])
	case yaml.AliasNode:
		return toValue(n.Alias)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		plain := *n
		plain.Tag = ""
		arg, err := toValue(&plain)
		if err != nil {
			return nil, err
		}
		fn := "Fn::" + strings.TrimPrefix(n.Tag, "!")
		if n.Tag == "!Ref" {
			fn = "Ref"
		}
		return newIntrinsic(fn, arg), nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				// YAML parsers disagree on duplicate keys; CloudFormation rejects them.
				return nil, fmt.Errorf("line %d: duplicate key %q", n.Content[i].Line, k)
			}
			v, err := toValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		if len(m) == 1 {
			for k, v := range m {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return newIntrinsic(k, v), nil
				}
			}
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := toValue(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	default:
		if n.Tag == "!!null" {
			return nil, nil
		}
		// Scalars stay strings: CloudFormation compares "900" and 900 alike, and so do we.
		return n.Value, nil
	}
}

func newIntrinsic(fn string, arg any) intrinsic {
	if s, ok := arg.(string); ok && fn == "Fn::GetAtt" {
		// !GetAtt A.B is the short spelling of [A, B].
		if i := strings.Index(s, "."); i > 0 {
			arg = []any{s[:i], s[i+1:]}
		}
	}
	return intrinsic{Fn: fn, Arg: arg}
}

func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// asList accepts CloudFormation's "one value or a list of them" (Action, Resource, Events…).
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

func isRef(v any, target string) bool {
	in, ok := v.(intrinsic)
	return ok && in.Fn == "Ref" && in.Arg == target
}

func getAtt(v any) (resource, attr string, ok bool) {
	in, isIn := v.(intrinsic)
	if !isIn || in.Fn != "Fn::GetAtt" {
		return "", "", false
	}
	l, isList := in.Arg.([]any)
	if !isList || len(l) != 2 {
		return "", "", false
	}
	return str(l[0]), str(l[1]), true
}

// subString returns the template string of a !Sub (either form).
func subString(v any) (string, bool) {
	in, ok := v.(intrinsic)
	if !ok || in.Fn != "Fn::Sub" {
		return "", false
	}
	switch a := in.Arg.(type) {
	case string:
		return a, true
	case []any:
		if len(a) > 0 {
			s, ok := a[0].(string)
			return s, ok
		}
	}
	return "", false
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// references lists every logical ID that v points at through Ref, GetAtt or a ${Id}/${Id.Attr}
// inside a Sub: these are exactly the edges CloudFormation uses to order resources.
func references(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case intrinsic:
			switch x.Fn {
			case "Ref":
				out = append(out, str(x.Arg))
			case "Fn::GetAtt":
				if r, _, ok := getAtt(x); ok {
					out = append(out, r)
				}
			case "Fn::Sub":
				if s, ok := subString(x); ok {
					for _, m := range subVar.FindAllStringSubmatch(s, -1) {
						name, _, _ := strings.Cut(m[1], ".")
						if !strings.Contains(name, "::") {
							out = append(out, name)
						}
					}
				}
			}
			walk(x.Arg)
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// describe renders a value compactly for failure messages.
func describe(v any) string {
	switch x := v.(type) {
	case intrinsic:
		return "!" + strings.TrimPrefix(x.Fn, "Fn::") + " " + describe(x.Arg)
	case string:
		return strconv.Quote(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// ---------------------------------------------------------------------------------------------

type cfnTemplate struct {
	root      map[string]any
	resources map[string]map[string]any
}

func loadTemplate(t *testing.T) *cfnTemplate {
	t.Helper()
	raw, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatalf("read %s: %v", templatePath, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("parse %s: %v", templatePath, err)
	}
	v, err := toValue(&doc)
	if err != nil {
		t.Fatalf("%s: %v", templatePath, err)
	}
	root, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: top level is not a mapping", templatePath)
	}
	tp := &cfnTemplate{root: root, resources: map[string]map[string]any{}}
	res, _ := root["Resources"].(map[string]any)
	if len(res) == 0 {
		t.Fatalf("%s: no Resources", templatePath)
	}
	for id, r := range res {
		m, ok := r.(map[string]any)
		if !ok {
			t.Fatalf("resource %s is not a mapping", id)
		}
		tp.resources[id] = m
	}
	return tp
}

func (tp *cfnTemplate) typeOf(id string) string { return str(tp.resources[id]["Type"]) }

func (tp *cfnTemplate) props(id string) map[string]any {
	p, _ := tp.resources[id]["Properties"].(map[string]any)
	return p
}

func (tp *cfnTemplate) ofType(typ string) []string {
	var ids []string
	for id := range tp.resources {
		if tp.typeOf(id) == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func (tp *cfnTemplate) parameter(name string) map[string]any {
	p, _ := get(tp.root, "Parameters", name).(map[string]any)
	return p
}

// function returns a function's properties as SAM sees them after merging Globals: maps merge
// key by key, lists concatenate, anything else (intrinsics included) is replaced by the local
// value. Checking the merged view catches, for example, a local Architectures that SAM would
// append to the global one.
func (tp *cfnTemplate) function(id string) map[string]any {
	global, _ := get(tp.root, "Globals", "Function").(map[string]any)
	merged, _ := mergeSAM(global, tp.props(id)).(map[string]any)
	return merged
}

func mergeSAM(global, local any) any {
	if global == nil {
		return local
	}
	if local == nil {
		return global
	}
	gm, gok := global.(map[string]any)
	lm, lok := local.(map[string]any)
	if gok && lok {
		out := make(map[string]any, len(gm)+len(lm))
		for k, v := range gm {
			out[k] = v
		}
		for k, v := range lm {
			out[k] = mergeSAM(gm[k], v)
		}
		return out
	}
	gl, gok := global.([]any)
	ll, lok := local.([]any)
	if gok && lok {
		return append(slices.Clone(gl), ll...)
	}
	return local
}

type route struct{ Function, Method, Path string }

func (r route) key() string { return r.Method + " " + r.Path }

// routes maps "METHOD /path" (an HTTP API route key) to the route's function.
func (tp *cfnTemplate) routes(t *testing.T) map[string]route {
	t.Helper()
	out := map[string]route{}
	for _, fn := range tp.ofType("AWS::Serverless::Function") {
		evs, _ := tp.props(fn)["Events"].(map[string]any)
		for name, e := range evs {
			if str(get(e, "Type")) != "HttpApi" {
				continue
			}
			r := route{fn, strings.ToUpper(str(get(e, "Properties", "Method"))), str(get(e, "Properties", "Path"))}
			if prev, dup := out[r.key()]; dup {
				t.Errorf("route %q is on both %s and %s.%s", r.key(), prev.Function, fn, name)
			}
			out[r.key()] = r
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------

func TestTemplateIsSAM(t *testing.T) {
	tp := loadTemplate(t)
	if got := describe(tp.root["Transform"]); !strings.Contains(got, "AWS::Serverless-2016-10-31") {
		t.Errorf("Transform = %s, want AWS::Serverless-2016-10-31", got)
	}
	got := tp.ofType("AWS::Serverless::Function")
	want := slices.Sorted(slices.Values(functionIDs))
	if !slices.Equal(got, want) {
		t.Errorf("functions = %v, want %v (other functions come with later issues)", got, want)
	}
	if got := tp.ofType("AWS::Serverless::LayerVersion"); !slices.Equal(got, []string{layerID}) {
		t.Errorf("layers = %v, want [%s]", got, layerID)
	}
}

func TestTemplateFunctionGlobals(t *testing.T) {
	tp := loadTemplate(t)
	global, _ := get(tp.root, "Globals", "Function").(map[string]any)

	// Runtime, architecture and handler are set once, so a new function cannot silently
	// come out x86 or on a deprecated runtime.
	t.Run("Globals", func(t *testing.T) {
		for k, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "Tracing": "Active", "AutoPublishAlias": "live"} {
			if got := str(global[k]); got != want {
				t.Errorf("Globals.Function.%s = %q, want %q", k, got, want)
			}
		}
		if got := asList(global["Architectures"]); !reflect.DeepEqual(got, []any{"arm64"}) {
			t.Errorf("Globals.Function.Architectures = %s, want [arm64]", describe(got))
		}
		dt := get(global, "DeploymentPreference", "Type")
		if !isRef(dt, "DeploymentType") {
			t.Errorf("Globals.Function.DeploymentPreference.Type = %s, want !Ref DeploymentType", describe(dt))
		}
		if got := str(get(tp.parameter("DeploymentType"), "Default")); got != "Canary10Percent5Minutes" {
			t.Errorf("DeploymentType default = %q, want Canary10Percent5Minutes", got)
		}
	})

	for _, id := range tp.ofType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			fn := tp.function(id)
			for k, want := range map[string]string{"Runtime": "provided.al2023", "Handler": "bootstrap", "Tracing": "Active", "AutoPublishAlias": "live", "CodeUri": "."} {
				if got := describe(fn[k]); got != strconv.Quote(want) {
					t.Errorf("%s = %s, want %q", k, got, want)
				}
			}
			if got := asList(fn["Architectures"]); !reflect.DeepEqual(got, []any{"arm64"}) {
				t.Errorf("Architectures = %s after merging Globals, want [arm64]", describe(got))
			}
			if got := str(get(tp.resources[id], "Metadata", "BuildMethod")); got != "makefile" {
				t.Errorf("Metadata.BuildMethod = %q, want makefile", got)
			}
			if !isRef(get(fn, "DeploymentPreference", "Type"), "DeploymentType") {
				t.Errorf("DeploymentPreference.Type = %s, want !Ref DeploymentType", describe(get(fn, "DeploymentPreference", "Type")))
			}
			// A canary without an alarm shifts all traffic whatever the new version does.
			alarms := asList(get(fn, "DeploymentPreference", "Alarms"))
			if len(alarms) == 0 {
				t.Fatalf("DeploymentPreference has no Alarms")
			}
			for _, a := range alarms {
				in, ok := a.(intrinsic)
				if !ok || in.Fn != "Ref" || tp.typeOf(str(in.Arg)) != "AWS::CloudWatch::Alarm" {
					t.Errorf("alarm %s is not a !Ref to an AWS::CloudWatch::Alarm", describe(a))
					continue
				}
				checkAliasErrorAlarm(t, tp, str(in.Arg), id)
			}
		})
	}
}

// checkAliasErrorAlarm makes sure the alarm watches this function's live alias errors, the
// metric a bad canary moves.
func checkAliasErrorAlarm(t *testing.T, tp *cfnTemplate, alarm, fn string) {
	t.Helper()
	p := tp.props(alarm)
	if str(p["Namespace"]) != "AWS/Lambda" || str(p["MetricName"]) != "Errors" {
		t.Errorf("%s watches %s/%s, want AWS/Lambda/Errors", alarm, str(p["Namespace"]), str(p["MetricName"]))
	}
	var fnDim, resDim bool
	for _, d := range asList(p["Dimensions"]) {
		switch str(get(d, "Name")) {
		case "FunctionName":
			fnDim = isRef(get(d, "Value"), fn)
		case "Resource":
			s, _ := subString(get(d, "Value"))
			resDim = s == "${"+fn+"}:live"
		}
	}
	if !fnDim || !resDim {
		t.Errorf("%s dimensions must be FunctionName=!Ref %s and Resource=!Sub '${%s}:live'", alarm, fn, fn)
	}
}

// The configuration names of API.md; every function gets every one so that pkg/config can
// load one struct everywhere, in Lambda as under make dev.
var configParams = []struct{ env, param, def string }{
	{"PUBLIC_BASE_URL", "PublicBaseUrl", "https://soundtime.example"},
	{"RETENTION", "Retention", "336h"},
	{"PENDING_TTL", "PendingTtl", "10m"},
	{"FAILED_TTL", "FailedTtl", "24h"},
	{"MAX_UPLOAD_BYTES", "MaxUploadBytes", "2147483648"},
	{"MAX_DURATION", "MaxDuration", "4h"},
	{"UPLOAD_URL_TTL", "UploadUrlTtl", "10m"},
	{"MEDIA_URL_TTL", "MediaUrlTtl", "30m"},
	{"HLS_SEGMENT_SECONDS", "HlsSegmentSeconds", "10"},
	{"UPLOAD_MIN_SPEED", "UploadMinSpeed", "125000"},
}

func TestTemplateEnvironment(t *testing.T) {
	tp := loadTemplate(t)
	for _, id := range tp.ofType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			vars, _ := get(tp.function(id), "Environment", "Variables").(map[string]any)
			for _, c := range configParams {
				v, ok := vars[c.env]
				if !ok {
					t.Errorf("%s missing", c.env)
					continue
				}
				if !isRef(v, c.param) {
					t.Errorf("%s = %s, want !Ref %s", c.env, describe(v), c.param)
					continue
				}
				if got := str(get(tp.parameter(c.param), "Default")); got != c.def {
					t.Errorf("parameter %s default = %q, want %q", c.param, got, c.def)
				}
			}
			if v := vars["TABLE_NAME"]; !isRef(v, tableID) {
				t.Errorf("TABLE_NAME = %s, want !Ref %s", describe(v), tableID)
			}
			if s, _ := subString(vars["MEDIA_BUCKET"]); s != bucketNameSub {
				t.Errorf("MEDIA_BUCKET = %s, want !Sub %q (never a !Ref: see the circular dependency test)", describe(vars["MEDIA_BUCKET"]), bucketNameSub)
			}
		})
	}
}

func TestTemplateParameters(t *testing.T) {
	tp := loadTemplate(t)
	for _, name := range []string{"PublicBaseUrl", "DeploymentType", "ThrottlingBurstLimit", "ThrottlingRateLimit"} {
		if tp.parameter(name) == nil {
			t.Errorf("parameter %s missing", name)
		}
	}
	for _, name := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit", "MaxUploadBytes", "HlsSegmentSeconds"} {
		if got := str(get(tp.parameter(name), "Type")); got != "Number" {
			t.Errorf("parameter %s Type = %q, want Number", name, got)
		}
	}
	// ffmpeg's -hls_time: under 2 s the segment count (and S3 GETs) explodes for long tracks,
	// over 30 s the first sound waits for a whole segment.
	hls := tp.parameter("HlsSegmentSeconds")
	if lo, hi := str(get(hls, "MinValue")), str(get(hls, "MaxValue")); lo != "2" || hi != "30" {
		t.Errorf("HlsSegmentSeconds MinValue/MaxValue = %q/%q, want 2/30", lo, hi)
	}
	// A duration the functions' time.ParseDuration rejects would fail every cold start, and a
	// default that breaks its own AllowedPattern fails every deploy that keeps it.
	for _, c := range configParams {
		p := tp.parameter(c.param)
		def := str(get(p, "Default"))
		if pat := str(get(p, "AllowedPattern")); pat != "" {
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

// grant is one (action, resource) pair of an IAM statement with the statement's Condition, if
// any; resource and condition are rendered by describe (condition lists sorted, so their order
// does not matter).
type grant struct{ action, resource, condition string }

func (g grant) when() string {
	if g.condition == "" {
		return ""
	}
	return " when " + g.condition
}

// sortedLists returns v with every list of plain strings sorted.
func sortedLists(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sortedLists(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		strs := true
		for i, e := range x {
			out[i] = sortedLists(e)
			if _, ok := e.(string); !ok {
				strs = false
			}
		}
		if strs {
			slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		}
		return out
	}
	return v
}

func describeCondition(c any) string {
	if c == nil {
		return ""
	}
	return describe(sortedLists(c))
}

func TestTemplatePolicies(t *testing.T) {
	tp := loadTemplate(t)
	table := describe(intrinsic{"Fn::GetAtt", []any{tableID, "Arn"}})
	objects := func(prefix string) string {
		return describe(intrinsic{"Fn::Sub", bucketArnSub + "/" + prefix + "*"})
	}
	stream := describe(intrinsic{"Fn::GetAtt", []any{tableID, "StreamArn"}})
	bucket := describe(intrinsic{"Fn::Sub", bucketArnSub})
	// Listing is only ever by a track prefix: never the whole bucket, never another prefix.
	trackPrefixes := describeCondition(map[string]any{"StringLike": map[string]any{"s3:prefix": []any{"uploads/*", "derived/*"}}})
	// Least privilege, from DESIGN.md: exactly these pairs, nothing more and nothing less (a
	// missing s3:PutObject breaks presigned uploads as surely as an extra one widens them).
	want := map[string][]grant{
		"UploadFunction": {
			{"dynamodb:PutItem", table, ""},
			{"dynamodb:UpdateItem", describe(intrinsic{"Fn::GetAtt", []any{"LimitsTable", "Arn"}}), ""},
			{"s3:PutObject", objects("uploads/"), ""},
		},
		"TrackFunction": {
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:UpdateItem", table, ""},
			{"dynamodb:DeleteItem", table, ""},
			{"s3:GetObject", objects("derived/"), ""},
		},
		"DownloadFunction": {
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:UpdateItem", table, ""},
			{"s3:GetObject", objects("uploads/"), ""},
		},
		// It deletes the objects of a track that failed, and an object of no upload in
		// progress, on arrival.
		"ProcessFunction": {
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:PutItem", table, ""},
			{"s3:GetObject", objects("uploads/"), ""},
			{"s3:PutObject", objects("derived/"), ""},
			{"s3:ListBucket", bucket, trackPrefixes},
			{"s3:DeleteObject", objects("uploads/"), ""},
			{"s3:DeleteObject", objects("derived/"), ""},
		},
		// The index of tracks in flight, never a scan; the live alias of the process function,
		// never another function.
		"SweepFunction": {
			{"dynamodb:Query", describe(intrinsic{"Fn::Sub", "${TracksTable.Arn}/index/sweep"}), ""},
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:PutItem", table, ""},
			{"s3:GetObject", objects("uploads/"), ""},
			{"s3:ListBucket", bucket, trackPrefixes},
			{"s3:DeleteObject", objects("uploads/"), ""},
			{"s3:DeleteObject", objects("derived/"), ""},
			{"lambda:InvokeFunction", describe(intrinsic{"Ref", "ProcessFunction.Alias"}), ""},
		},
		// Only the key from the record: no access to the table's items. sqs:SendMessage on
		// ExpireFailureQueue comes from SAM (OnFailure Type: SQS, see TestTemplateExpireFunction).
		"ExpireFunction": {
			{"s3:ListBucket", bucket, trackPrefixes},
			{"s3:DeleteObject", objects("uploads/"), ""},
			{"s3:DeleteObject", objects("derived/"), ""},
			{"dynamodb:DescribeStream", stream, ""},
			{"dynamodb:GetRecords", stream, ""},
			{"dynamodb:GetShardIterator", stream, ""},
			{"dynamodb:ListStreams", stream, ""},
		},
		"ReconcileFunction": {
			{"s3:ListBucket", bucket, trackPrefixes},
			{"s3:DeleteObject", objects("uploads/"), ""},
			{"s3:DeleteObject", objects("derived/"), ""},
			{"dynamodb:GetItem", table, ""},
		},
	}
	if _, ok := get(tp.root, "Globals", "Function").(map[string]any)["Policies"]; ok {
		t.Errorf("Globals.Function.Policies: grants must be per function")
	}
	for _, id := range tp.ofType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			expected, known := want[id]
			if !known {
				t.Fatalf("no least-privilege list for %s in this test: add one", id)
			}
			fn := tp.function(id)
			if _, ok := fn["Role"]; ok {
				t.Fatalf("Role is set: SAM would ignore Policies and this test could not see the grants")
			}
			granted := map[grant]bool{}
			for i, pol := range asList(fn["Policies"]) {
				stmts, ok := get(pol, "Statement").([]any)
				if !ok {
					// Managed policy names and SAM policy templates hide their grants (and most
					// grant far more than one prefix or one table).
					t.Errorf("Policies[%d] = %s: only inline policy documents with a Statement list", i, describe(pol))
					continue
				}
				for j, st := range stmts {
					where := fmt.Sprintf("Policies[%d].Statement[%d]", i, j)
					if m, ok := st.(map[string]any); ok {
						for k := range m {
							if !slices.Contains([]string{"Sid", "Effect", "Action", "Resource", "Condition"}, k) {
								t.Errorf("%s: unexpected key %s", where, k)
							}
						}
					}
					condition := describeCondition(get(st, "Condition"))
					if str(get(st, "Effect")) != "Allow" {
						t.Errorf("%s: Effect %q, want Allow", where, str(get(st, "Effect")))
					}
					for _, k := range []string{"NotAction", "NotResource", "Principal"} {
						if get(st, k) != nil {
							t.Errorf("%s: %s widens the grant", where, k)
						}
					}
					actions, resources := asList(get(st, "Action")), asList(get(st, "Resource"))
					if len(actions) == 0 || len(resources) == 0 {
						t.Errorf("%s: needs Action and Resource", where)
					}
					for _, a := range actions {
						if strings.Contains(str(a), "*") {
							t.Errorf("%s: wildcard action %s", where, describe(a))
						}
						for _, r := range resources {
							if s, ok := r.(string); ok && (s == "*" || strings.HasSuffix(s, ":*")) {
								t.Errorf("%s: wildcard resource %q", where, s)
							}
							g := grant{str(a), describe(r), condition}
							if !slices.Contains(expected, g) {
								t.Errorf("%s grants %s on %s%s: not in the design", where, g.action, g.resource, g.when())
							}
							granted[g] = true
						}
					}
				}
			}
			for _, g := range expected {
				if !granted[g] {
					t.Errorf("missing grant %s on %s%s", g.action, g.resource, g.when())
				}
			}
		})
	}
}

func TestTemplateS3Trigger(t *testing.T) {
	tp := loadTemplate(t)
	var found []string
	for _, id := range tp.ofType("AWS::Serverless::Function") {
		evs, _ := tp.props(id)["Events"].(map[string]any)
		for name, e := range evs {
			if str(get(e, "Type")) != "S3" {
				continue
			}
			found = append(found, id+"."+name)
			t.Run(id+"."+name, func(t *testing.T) {
				if id != "ProcessFunction" {
					t.Errorf("S3 trigger on %s, want only ProcessFunction", id)
				}
				p := get(e, "Properties")
				if !isRef(get(p, "Bucket"), bucketID) {
					t.Errorf("Bucket = %s, want !Ref %s (SAM requires a bucket of this template)", describe(get(p, "Bucket")), bucketID)
				}
				if evNames := asList(get(p, "Events")); !slices.Contains(evNames, any("s3:ObjectCreated:*")) {
					t.Errorf("Events = %s, want s3:ObjectCreated:*", describe(evNames))
				}
				// Outputs go to derived/: with this filter processing can never trigger itself.
				rules := asList(get(p, "Filter", "S3Key", "Rules"))
				if len(rules) != 1 || !strings.EqualFold(str(get(rules[0], "Name")), "prefix") || str(get(rules[0], "Value")) != "uploads/" {
					t.Errorf("Filter.S3Key.Rules = %s, want exactly [{Name: prefix, Value: uploads/}]", describe(rules))
				}
			})
		}
	}
	if len(found) != 1 {
		t.Errorf("S3 triggers = %v, want exactly one (ProcessFunction on uploads/)", found)
	}
}

// A function whose role (or anything else outside Events) refers to the bucket whose
// notification invokes it cannot be created: bucket -> permission -> function -> role -> bucket.
func TestTemplateNoCircularBucketReference(t *testing.T) {
	tp := loadTemplate(t)
	triggered := map[string]bool{bucketID: true}
	for _, id := range tp.ofType("AWS::Serverless::Function") {
		evs, _ := tp.props(id)["Events"].(map[string]any)
		for _, e := range evs {
			if b, ok := get(e, "Properties", "Bucket").(intrinsic); ok && str(get(e, "Type")) == "S3" {
				triggered[str(b.Arg)] = true
			}
		}
	}
	for _, id := range tp.ofType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			for k, v := range tp.function(id) {
				if k == "Events" {
					continue // the S3 event itself must !Ref the bucket; SAM wires it the safe way
				}
				for _, ref := range references(v) {
					if triggered[ref] {
						t.Errorf("%s refers to %s: circular dependency; use the !Sub bucket name %q", k, ref, bucketNameSub)
					}
				}
			}
		})
	}
}

func TestTemplateTable(t *testing.T) {
	tp := loadTemplate(t)
	if got := tp.typeOf(tableID); got != "AWS::DynamoDB::Table" {
		t.Fatalf("%s type = %q, want AWS::DynamoDB::Table", tableID, got)
	}
	p := tp.props(tableID)
	checks := []struct {
		name string
		got  any
		want string
	}{
		{"BillingMode", p["BillingMode"], "PAY_PER_REQUEST"},
		{"KeySchema[0].AttributeName", get(first(p["KeySchema"]), "AttributeName"), "id"},
		{"KeySchema[0].KeyType", get(first(p["KeySchema"]), "KeyType"), "HASH"},
		{"AttributeDefinitions[0].AttributeName", get(first(p["AttributeDefinitions"]), "AttributeName"), "id"},
		{"AttributeDefinitions[0].AttributeType", get(first(p["AttributeDefinitions"]), "AttributeType"), "S"},
		// pkg/ writes the expiry to `ttl`; the expire function reads the old image.
		{"TimeToLiveSpecification.AttributeName", get(p, "TimeToLiveSpecification", "AttributeName"), "ttl"},
		{"TimeToLiveSpecification.Enabled", get(p, "TimeToLiveSpecification", "Enabled"), "true"},
		{"StreamSpecification.StreamViewType", get(p, "StreamSpecification", "StreamViewType"), "OLD_IMAGE"},
		{"PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"), "true"},
		{"SSESpecification.SSEEnabled", get(p, "SSESpecification", "SSEEnabled"), "true"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if str(c.got) != c.want {
				t.Errorf("%s = %s, want %q", c.name, describe(c.got), c.want)
			}
		})
	}
	t.Run("TableName", func(t *testing.T) {
		if s, _ := subString(p["TableName"]); s != "${AWS::StackName}-tracks" {
			t.Errorf("TableName = %s, want !Sub '${AWS::StackName}-tracks'", describe(p["TableName"]))
		}
	})
}

func first(v any) any {
	if l := asList(v); len(l) > 0 {
		return l[0]
	}
	return nil
}

func TestTemplateMediaBucket(t *testing.T) {
	tp := loadTemplate(t)
	if got := tp.typeOf(bucketID); got != "AWS::S3::Bucket" {
		t.Fatalf("%s type = %q, want AWS::S3::Bucket", bucketID, got)
	}
	p := tp.props(bucketID)

	t.Run("Name", func(t *testing.T) {
		if s, _ := subString(p["BucketName"]); s != bucketNameSub {
			t.Errorf("BucketName = %s, want !Sub %q (policies build ARNs from it)", describe(p["BucketName"]), bucketNameSub)
		}
	})
	t.Run("BlockPublicAccess", func(t *testing.T) {
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if got := str(get(p, "PublicAccessBlockConfiguration", k)); got != "true" {
				t.Errorf("PublicAccessBlockConfiguration.%s = %q, want true", k, got)
			}
		}
		if got := str(get(first(get(p, "OwnershipControls", "Rules")), "ObjectOwnership")); got != "BucketOwnerEnforced" {
			t.Errorf("OwnershipControls = %q, want BucketOwnerEnforced (no ACLs at all)", got)
		}
	})
	t.Run("Encryption", func(t *testing.T) {
		rule := first(get(p, "BucketEncryption", "ServerSideEncryptionConfiguration"))
		if got := str(get(rule, "ServerSideEncryptionByDefault", "SSEAlgorithm")); got != "AES256" {
			t.Errorf("SSEAlgorithm = %q, want AES256", got)
		}
	})
	t.Run("CORS", func(t *testing.T) {
		// The browser PUTs with the signed Content-Type and Content-MD5 headers and reads the
		// ETag; a preflight that does not allow them fails every upload. Only the site may PUT.
		// The player reads media from any origin (the embed in a sandboxed link card sends
		// Origin: null): GET and HEAD only, for '*'.
		rules := asList(get(p, "CorsConfiguration", "CorsRules"))
		if len(rules) == 0 {
			t.Fatal("no CorsRules")
		}
		methods := func(r any) []string {
			var out []string
			for _, m := range asList(get(r, "AllowedMethods")) {
				out = append(out, str(m))
			}
			slices.Sort(out)
			return out
		}
		var put, read any
		for _, r := range rules {
			origins := asList(get(r, "AllowedOrigins"))
			ms := methods(r)
			anyOrigin := slices.ContainsFunc(origins, func(o any) bool { return str(o) == "*" })
			if anyOrigin && !slices.Equal(ms, []string{"GET", "HEAD"}) {
				t.Errorf("the rule for '*' allows %v, want GET and HEAD only", ms)
			}
			if slices.Contains(ms, "PUT") {
				if len(origins) != 1 || !isRef(origins[0], "PublicBaseUrl") {
					t.Errorf("PUT is allowed from %s, want [!Ref PublicBaseUrl] only", describe(origins))
				}
				put = r
			}
			if anyOrigin {
				read = r
			}
			for _, m := range ms {
				if m != "GET" && m != "HEAD" && m != "PUT" {
					t.Errorf("a rule allows %s", m)
				}
			}
		}
		if put == nil {
			t.Fatal("no rule allows PUT from the site")
		}
		if read == nil {
			t.Error("no rule lets any origin GET media (the embed in a sandboxed frame sends Origin: null)")
		}
		for _, h := range []string{"Content-Type", "Content-MD5", "Content-Length"} {
			if !slices.ContainsFunc(asList(get(put, "AllowedHeaders")), func(v any) bool { return strings.EqualFold(str(v), h) }) {
				t.Errorf("the PUT rule's AllowedHeaders lack %s", h)
			}
		}
		if !slices.Contains(asList(get(put, "ExposedHeaders")), any("ETag")) {
			t.Errorf("the PUT rule's ExposedHeaders lack ETag")
		}
	})
	t.Run("AbortIncompleteMultipartUploads", func(t *testing.T) {
		ok := false
		for _, r := range asList(get(p, "LifecycleConfiguration", "Rules")) {
			d, err := strconv.Atoi(str(get(r, "AbortIncompleteMultipartUpload", "DaysAfterInitiation")))
			if err == nil && d == 1 && str(get(r, "Status")) == "Enabled" {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no enabled lifecycle rule aborting incomplete multipart uploads after 1 day")
		}
	})
	t.Run("DenyInsecureTransport", func(t *testing.T) {
		ok := false
		for _, pol := range tp.ofType("AWS::S3::BucketPolicy") {
			pp := tp.props(pol)
			if !isRef(pp["Bucket"], bucketID) {
				continue
			}
			for _, st := range asList(get(pp, "PolicyDocument", "Statement")) {
				if str(get(st, "Effect")) == "Deny" && str(get(st, "Condition", "Bool", "aws:SecureTransport")) == "false" &&
					len(asList(get(st, "Resource"))) >= 2 {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("no bucket policy denying aws:SecureTransport=false on the bucket and its objects")
		}
	})
}

func TestTemplateRoutes(t *testing.T) {
	tp := loadTemplate(t)
	want := map[string]string{
		"POST /api/tracks":                 "UploadFunction",
		"GET /api/getuploadurl":            "UploadFunction",
		"GET /api/config":                  "UploadFunction",
		"GET /t/{id}":                      "TrackFunction",
		"GET /t/{id}/cover":                "TrackFunction",
		"GET /embed/{id}":                  "TrackFunction",
		"GET /oembed":                      "TrackFunction",
		"GET /api/tracks/{id}":             "TrackFunction",
		"DELETE /api/tracks/{id}":          "TrackFunction",
		"GET /api/tracks/{id}/stream.m3u8": "TrackFunction",
		"GET /api/gettrackinfo":            "TrackFunction",
		"GET /healthz":                     "TrackFunction",
		"GET /api/tracks/{id}/download":    "DownloadFunction",
		"GET /api/getdownloadurl":          "DownloadFunction",
	}
	got := tp.routes(t)
	for k, fn := range want {
		t.Run(k, func(t *testing.T) {
			r, ok := got[k]
			if !ok {
				t.Fatalf("route missing")
			}
			if r.Function != fn {
				t.Errorf("route on %s, want %s", r.Function, fn)
			}
		})
	}
	for k, r := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected route %q on %s", k, r.Function)
		}
	}
	t.Run("EventWiring", func(t *testing.T) {
		for _, fn := range tp.ofType("AWS::Serverless::Function") {
			evs, _ := tp.props(fn)["Events"].(map[string]any)
			for name, e := range evs {
				if str(get(e, "Type")) != "HttpApi" {
					continue
				}
				// Without ApiId SAM creates a second, unthrottled implicit API.
				if !isRef(get(e, "Properties", "ApiId"), apiID) {
					t.Errorf("%s.%s: ApiId = %s, want !Ref %s", fn, name, describe(get(e, "Properties", "ApiId")), apiID)
				}
				// The handlers decode events.APIGatewayV2HTTPRequest.
				if v := get(e, "Properties", "PayloadFormatVersion"); v != nil && str(v) != "2.0" {
					t.Errorf("%s.%s: PayloadFormatVersion = %s, want 2.0", fn, name, describe(v))
				}
			}
		}
	})
	t.Run("Throttling", func(t *testing.T) {
		if got := tp.typeOf(apiID); got != "AWS::Serverless::HttpApi" {
			t.Fatalf("%s type = %q, want AWS::Serverless::HttpApi", apiID, got)
		}
		s := get(tp.props(apiID), "DefaultRouteSettings")
		for _, k := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit"} {
			if !isRef(get(s, k), k) {
				t.Errorf("DefaultRouteSettings.%s = %s, want !Ref %s", k, describe(get(s, k)), k)
			}
		}
	})
}

func TestTemplateProcessFunction(t *testing.T) {
	tp := loadTemplate(t)
	fn := tp.function("ProcessFunction")
	checks := []struct {
		name string
		got  any
		want string
	}{
		{"Timeout", fn["Timeout"], "900"},
		{"MemorySize", fn["MemorySize"], "3008"},
		{"EphemeralStorage.Size", get(fn, "EphemeralStorage", "Size"), "10240"},
		{"EventInvokeConfig.MaximumRetryAttempts", get(fn, "EventInvokeConfig", "MaximumRetryAttempts"), "2"},
		{"EventInvokeConfig.DestinationConfig.OnFailure.Type", get(fn, "EventInvokeConfig", "DestinationConfig", "OnFailure", "Type"), "SQS"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if str(c.got) != c.want {
				t.Errorf("%s = %s, want %s", c.name, describe(c.got), c.want)
			}
		})
	}
	t.Run("FailureQueue", func(t *testing.T) {
		checkFailureQueue(t, tp, get(fn, "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination"), queueID)
	})
}

// checkFailureQueue makes sure dest is !GetAtt queue.Arn and the queue keeps what lands in it
// for as long as SQS allows, encrypted.
func checkFailureQueue(t *testing.T, tp *cfnTemplate, dest any, queue string) {
	t.Helper()
	if r, a, ok := getAtt(dest); !ok || r != queue || a != "Arn" {
		t.Errorf("OnFailure.Destination = %s, want !GetAtt %s.Arn", describe(dest), queue)
	}
	if got := tp.typeOf(queue); got != "AWS::SQS::Queue" {
		t.Fatalf("%s type = %q, want AWS::SQS::Queue", queue, got)
	}
	q := tp.props(queue)
	if got := str(q["MessageRetentionPeriod"]); got != "1209600" {
		t.Errorf("%s MessageRetentionPeriod = %q, want 1209600 (14 days)", queue, got)
	}
	if str(q["SqsManagedSseEnabled"]) != "true" && q["KmsMasterKeyId"] == nil {
		t.Errorf("%s is not encrypted", queue)
	}
}

// eventsOfType returns fn's events of the given type, by name.
func (tp *cfnTemplate) eventsOfType(fn, typ string) map[string]any {
	out := map[string]any{}
	evs, _ := tp.props(fn)["Events"].(map[string]any)
	for name, e := range evs {
		if str(get(e, "Type")) == typ {
			out[name] = e
		}
	}
	return out
}

// The expire function: the tracks table's stream, REMOVE records only, with partial batch
// responses, bisection, a bounded retry and an on-failure queue, so that one bad record can
// neither block the shard for a day nor vanish.
func TestTemplateExpireFunction(t *testing.T) {
	tp := loadTemplate(t)
	const id = "ExpireFunction"
	fn := tp.function(id)
	for k, want := range map[string]string{"Timeout": "300", "MemorySize": "256"} {
		if got := str(fn[k]); got != want {
			t.Errorf("%s = %s, want %s", k, describe(fn[k]), want)
		}
	}
	evs, _ := fn["Events"].(map[string]any)
	streams := tp.eventsOfType(id, "DynamoDB")
	if len(streams) != 1 || len(evs) != 1 {
		t.Fatalf("events = %s, want exactly one DynamoDB event", describe(evs))
	}
	var p any
	for _, e := range streams {
		p = get(e, "Properties")
	}
	if r, a, ok := getAtt(get(p, "Stream")); !ok || r != tableID || a != "StreamArn" {
		t.Errorf("Stream = %s, want !GetAtt %s.StreamArn", describe(get(p, "Stream")), tableID)
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
		if got := get(p, c.name); str(got) != c.want {
			t.Errorf("%s = %s, want %s", c.name, describe(got), c.want)
		}
	}
	t.Run("ReportBatchItemFailures", func(t *testing.T) {
		// The handler reports failed records by SequenceNumber with a nil error; without this
		// Lambda ignores the response and counts the batch a success.
		if got := asList(get(p, "FunctionResponseTypes")); !reflect.DeepEqual(got, []any{"ReportBatchItemFailures"}) {
			t.Errorf("FunctionResponseTypes = %s, want [ReportBatchItemFailures]", describe(got))
		}
	})
	t.Run("FilterREMOVE", func(t *testing.T) {
		filters := asList(get(p, "FilterCriteria", "Filters"))
		if len(filters) != 1 {
			t.Fatalf("FilterCriteria.Filters = %s, want exactly one", describe(filters))
		}
		pat := str(get(filters[0], "Pattern"))
		var got any
		if err := json.Unmarshal([]byte(pat), &got); err != nil {
			t.Fatalf("Pattern %q is not JSON: %v", pat, err)
		}
		if !reflect.DeepEqual(got, map[string]any{"eventName": []any{"REMOVE"}}) {
			t.Errorf(`Pattern = %s, want {"eventName": ["REMOVE"]}`, pat)
		}
	})
	t.Run("OnFailure", func(t *testing.T) {
		onFailure := get(p, "DestinationConfig", "OnFailure")
		// Type: SQS is what makes SAM grant the role sqs:SendMessage on the destination; the
		// policy test allows no explicit grant for it.
		if got := str(get(onFailure, "Type")); got != "SQS" {
			t.Errorf("DestinationConfig.OnFailure.Type = %q, want SQS (SAM then grants sqs:SendMessage)", got)
		}
		checkFailureQueue(t, tp, get(onFailure, "Destination"), expireQueueID)
	})
}

// Only the expire function reads the tracks table's stream.
func TestTemplateStreamConsumers(t *testing.T) {
	tp := loadTemplate(t)
	var found []string
	for _, id := range tp.ofType("AWS::Serverless::Function") {
		for name := range tp.eventsOfType(id, "DynamoDB") {
			found = append(found, id+"."+name)
		}
	}
	if len(found) != 1 || !strings.HasPrefix(found[0], "ExpireFunction.") {
		t.Errorf("DynamoDB stream events = %v, want exactly one, on ExpireFunction", found)
	}
}

// The reconcile function: once a day, enabled, with the time to walk the whole bucket.
func TestTemplateReconcileFunction(t *testing.T) {
	tp := loadTemplate(t)
	const id = "ReconcileFunction"
	fn := tp.function(id)
	for k, want := range map[string]string{"Timeout": "900", "MemorySize": "512"} {
		if got := str(fn[k]); got != want {
			t.Errorf("%s = %s, want %s", k, describe(fn[k]), want)
		}
	}
	evs, _ := fn["Events"].(map[string]any)
	schedules := tp.eventsOfType(id, "Schedule")
	if len(schedules) != 1 || len(evs) != 1 {
		t.Fatalf("events = %s, want exactly one Schedule event", describe(evs))
	}
	for name, e := range schedules {
		p := get(e, "Properties")
		if got := str(get(p, "Schedule")); got != "rate(1 day)" {
			t.Errorf("%s.Schedule = %q, want rate(1 day)", name, got)
		}
		// Enabled defaults to true; State (the newer spelling) must not disable it either.
		if v := get(p, "Enabled"); v != nil && str(v) != "true" {
			t.Errorf("%s.Enabled = %s, want true", name, describe(v))
		}
		if v := get(p, "State"); v != nil && str(v) != "ENABLED" {
			t.Errorf("%s.State = %s, want ENABLED", name, describe(v))
		}
	}
	for _, other := range tp.ofType("AWS::Serverless::Function") {
		if other != id && other != "SweepFunction" && len(tp.eventsOfType(other, "Schedule")) != 0 {
			t.Errorf("%s has a Schedule event: only %s and SweepFunction run on a schedule", other, id)
		}
	}
}

// The sweep function: every five minutes, it hands lost uploads and dead runs to the live
// process function, whose timeout is the PROCESS_TIMEOUT every function reads; the table has the
// sparse index it queries.
func TestTemplateSweepFunction(t *testing.T) {
	tp := loadTemplate(t)
	fn := tp.function("SweepFunction")
	schedules := tp.eventsOfType("SweepFunction", "Schedule")
	if len(schedules) != 1 {
		t.Fatalf("Schedule events = %d, want 1", len(schedules))
	}
	for name, e := range schedules {
		if got := str(get(e, "Properties", "Schedule")); got != "rate(5 minutes)" {
			t.Errorf("%s.Schedule = %q, want rate(5 minutes)", name, got)
		}
	}
	if v := get(fn, "Environment", "Variables", "PROCESS_FUNCTION"); !isRef(v, "ProcessFunction.Alias") {
		t.Errorf("PROCESS_FUNCTION = %s, want !Ref ProcessFunction.Alias", describe(v))
	}
	timeout, err := strconv.Atoi(str(tp.function("ProcessFunction")["Timeout"]))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range tp.ofType("AWS::Serverless::Function") {
		d, err := time.ParseDuration(str(get(tp.function(id), "Environment", "Variables", "PROCESS_TIMEOUT")))
		if err != nil || d != time.Duration(timeout)*time.Second {
			t.Errorf("%s: PROCESS_TIMEOUT = %v (%v), want the process function's Timeout, %d s", id, d, err, timeout)
		}
	}
	var found bool
	for _, gsi := range asList(tp.props(tableID)["GlobalSecondaryIndexes"]) {
		if str(get(gsi, "IndexName")) != "sweep" {
			continue
		}
		found = true
		keys := asList(get(gsi, "KeySchema"))
		if len(keys) != 2 || str(get(keys[0], "AttributeName")) != "sweep" || str(get(keys[1], "AttributeName")) != "sweepAt" ||
			str(get(gsi, "Projection", "ProjectionType")) != "KEYS_ONLY" {
			t.Errorf("index sweep = %s, want sweep (HASH), sweepAt (RANGE), keys only", describe(gsi))
		}
	}
	if !found {
		t.Error("the tracks table has no sweep index")
	}
	types := map[string]string{}
	for _, a := range asList(tp.props(tableID)["AttributeDefinitions"]) {
		types[str(get(a, "AttributeName"))] = str(get(a, "AttributeType"))
	}
	if types["sweep"] != "S" || types["sweepAt"] != "N" {
		t.Errorf("attribute types = %v, want sweep S and sweepAt N (pkg/dynamo writes them so)", types)
	}
}

// The ffmpeg layer: built by sam build for the functions' architecture and runtime, attached to
// the process function only, within Lambda's size limit, and able to move the live alias.
func TestTemplateFfmpegLayer(t *testing.T) {
	tp := loadTemplate(t)
	if got := tp.typeOf(layerID); got != "AWS::Serverless::LayerVersion" {
		t.Fatalf("%s type = %q, want AWS::Serverless::LayerVersion", layerID, got)
	}
	p := tp.props(layerID)
	global, _ := get(tp.root, "Globals", "Function").(map[string]any)

	t.Run("Build", func(t *testing.T) {
		md := get(tp.resources[layerID], "Metadata")
		if str(get(md, "BuildMethod")) != "makefile" || str(get(md, "BuildArchitecture")) != "arm64" {
			t.Errorf("Metadata = %s, want BuildMethod makefile, BuildArchitecture arm64", describe(md))
		}
		if got := strings.TrimSuffix(str(p["ContentUri"]), "/"); got != layerDir {
			t.Errorf("ContentUri = %s, want %s/", describe(p["ContentUri"]), layerDir)
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
		if got := asList(p["CompatibleArchitectures"]); !reflect.DeepEqual(got, asList(global["Architectures"])) || !reflect.DeepEqual(got, []any{"arm64"}) {
			t.Errorf("CompatibleArchitectures = %s, want [arm64] like the functions", describe(got))
		}
		if got := asList(p["CompatibleRuntimes"]); !reflect.DeepEqual(got, []any{global["Runtime"]}) || !reflect.DeepEqual(got, []any{"provided.al2023"}) {
			t.Errorf("CompatibleRuntimes = %s, want [provided.al2023] like the functions", describe(got))
		}
	})
	t.Run("License", func(t *testing.T) {
		// The static builds are configured --enable-gpl --enable-version3.
		if got := str(p["LicenseInfo"]); got != "GPL-3.0-or-later" {
			t.Errorf("LicenseInfo = %q, want GPL-3.0-or-later", got)
		}
	})
	t.Run("RetentionPolicy", func(t *testing.T) {
		if got := str(p["RetentionPolicy"]); got != "Delete" {
			t.Errorf("RetentionPolicy = %q, want Delete (functions keep a deleted version they use)", got)
		}
	})
	t.Run("AttachedToProcessOnly", func(t *testing.T) {
		if global["Layers"] != nil {
			t.Errorf("Globals.Function.Layers = %s: ffmpeg belongs to the process function only", describe(global["Layers"]))
		}
		for _, id := range tp.ofType("AWS::Serverless::Function") {
			fn := tp.function(id)
			layers := asList(fn["Layers"])
			vars, _ := get(fn, "Environment", "Variables").(map[string]any)
			path, hasPath := vars["FFMPEG_PATH"]
			if id == "ProcessFunction" {
				if len(layers) != 1 || !isRef(layers[0], layerID) {
					t.Errorf("%s Layers = %s, want [!Ref %s]", id, describe(layers), layerID)
				}
				if str(path) != layerFFmpegPath {
					t.Errorf("%s FFMPEG_PATH = %s, want %q", id, describe(path), layerFFmpegPath)
				}
				continue
			}
			if len(layers) != 0 || hasPath {
				t.Errorf("%s has Layers %s / FFMPEG_PATH %s: only ProcessFunction runs ffmpeg", id, describe(layers), describe(path))
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
		// SAM leaves Layers out of the AutoPublishAlias version hash: a new ffmpeg alone would
		// update $LATEST but never reach the live alias. The function's code carries the layer
		// binary's checksum instead.
		raw, err := os.ReadFile(makefilePath)
		if err != nil {
			t.Fatal(err)
		}
		recipe := makeRecipe(string(raw), "build-ProcessFunction")
		if !strings.Contains(recipe, "FFMPEG_LAYER_SHA256") || !strings.Contains(recipe, "$(ARTIFACTS_DIR)/ffmpeg.sha256") {
			t.Errorf("build-ProcessFunction does not write the layer's SHA-256 into $(ARTIFACTS_DIR)/ffmpeg.sha256:\n%s", recipe)
		}
	})
}

// makeRecipe returns the recipe lines of target's rule.
func makeRecipe(src, target string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(src, "\n") {
		switch {
		case strings.HasPrefix(line, target+":"):
			in = true
		case in && strings.HasPrefix(line, "\t"):
			b.WriteString(line + "\n")
		case in:
			return b.String()
		}
	}
	return b.String()
}

func TestTemplateOutputs(t *testing.T) {
	tp := loadTemplate(t)
	for _, k := range []string{"ApiUrl", "MediaBucketName", "TableName"} {
		if get(tp.root, "Outputs", k, "Value") == nil {
			t.Errorf("output %s missing", k)
		}
	}
}

// sam build runs `make build-<LogicalId>` for BuildMethod: makefile; a missing target only
// shows up at deploy time otherwise.
func TestTemplateMakefileTargets(t *testing.T) {
	tp := loadTemplate(t)
	raw, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatalf("read %s: %v", makefilePath, err)
	}
	targets := makeTargets(string(raw))
	for _, id := range tp.ofType("AWS::Serverless::Function") {
		if str(get(tp.resources[id], "Metadata", "BuildMethod")) != "makefile" {
			continue
		}
		t.Run(id, func(t *testing.T) {
			if !targets["build-"+id] {
				t.Errorf("%s has no target build-%s", makefilePath, id)
			}
		})
	}
	// A layer's Makefile is the one in its ContentUri.
	for _, id := range tp.ofType("AWS::Serverless::LayerVersion") {
		if str(get(tp.resources[id], "Metadata", "BuildMethod")) != "makefile" {
			continue
		}
		t.Run(id, func(t *testing.T) {
			mk := filepath.Join(str(tp.props(id)["ContentUri"]), "Makefile")
			raw, err := os.ReadFile(mk)
			if err != nil {
				t.Fatalf("read %s: %v", mk, err)
			}
			if !makeTargets(string(raw))["build-"+id] {
				t.Errorf("%s has no target build-%s", mk, id)
			}
		})
	}
}

// Each function's build target compiles its own command, functions/<name> for <Name>Function,
// into $(ARTIFACTS_DIR)/bootstrap: a copy-pasted target would deploy another function's code.
func TestTemplateMakefileRecipes(t *testing.T) {
	raw, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatalf("read %s: %v", makefilePath, err)
	}
	src := string(raw)
	build := regexp.MustCompile(`(?m)^LAMBDA_BUILD\s*=\s*(.*)$`).FindStringSubmatch(src)
	if build == nil || !strings.Contains(build[1], "-o $(ARTIFACTS_DIR)/bootstrap") || !strings.Contains(build[1], "GOARCH=arm64") || !strings.Contains(build[1], "lambda.norpc") {
		t.Fatalf("LAMBDA_BUILD = %v, want an arm64 lambda.norpc build to $(ARTIFACTS_DIR)/bootstrap", build)
	}
	for _, id := range functionIDs {
		t.Run(id, func(t *testing.T) {
			dir := "functions/" + strings.ToLower(strings.TrimSuffix(id, "Function"))
			if _, err := os.Stat(filepath.Join(dir, "main.go")); err != nil {
				t.Errorf("%s: %v", dir, err)
			}
			recipe := makeRecipe(src, "build-"+id)
			if !regexp.MustCompile(`(?m)^\t\$\(LAMBDA_BUILD\) \./` + regexp.QuoteMeta(dir) + `\s*$`).MatchString(recipe) {
				t.Errorf("build-%s recipe does not run $(LAMBDA_BUILD) ./%s:\n%s", id, dir, recipe)
			}
		})
	}
}

// makeTargets returns the explicit targets of a Makefile's rule lines ("a b: deps").
func makeTargets(src string) map[string]bool {
	out := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(src))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "\t") || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		lhs, rest, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(rest, "=") || strings.Contains(lhs, "=") {
			continue // an assignment (:=, ::=), not a rule
		}
		for _, f := range strings.Fields(lhs) {
			out[f] = true
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// Sample events for `sam local invoke -e`. They must decode into the aws-lambda-go types the
// handlers take and agree with the template (route keys, bucket name, trigger prefix).

func eventFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"s3-put.json", "apigw-create.json", "apigw-get.json", "apigw-getuploadurl.json"} {
		if !slices.Contains(files, filepath.Join(eventsDir, want)) {
			t.Errorf("%s/%s missing", eventsDir, want)
		}
	}
	return files
}

func TestEvents(t *testing.T) {
	tp := loadTemplate(t)
	routes := tp.routes(t)
	for _, f := range eventFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			switch base := filepath.Base(f); {
			case strings.HasPrefix(base, "s3-"):
				var ev events.S3Event
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatalf("decode as events.S3Event: %v", err)
				}
				checkS3Event(t, tp, ev)
			case strings.HasPrefix(base, "apigw-"):
				var ev events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatalf("decode as events.APIGatewayV2HTTPRequest: %v", err)
				}
				checkHTTPEvent(t, routes, ev)
			default:
				t.Fatalf("unknown event kind: name files s3-*.json or apigw-*.json")
			}
		})
	}
}

// stackName reads [default.global.parameters] stack_name, the stack the sample bucket belongs to.
func stackName(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(samconfigPath)
	if err != nil {
		t.Fatalf("read %s: %v", samconfigPath, err)
	}
	m := regexp.MustCompile(`(?s)\[default\.global\.parameters\][^\[]*?stack_name\s*=\s*"([^"]+)"`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("%s: no stack_name in [default.global.parameters]", samconfigPath)
	}
	return string(m[1])
}

func checkS3Event(t *testing.T, tp *cfnTemplate, ev events.S3Event) {
	t.Helper()
	if len(ev.Records) == 0 {
		t.Fatal("no Records")
	}
	prefix := ""
	for _, r := range asList(get(tp.props("ProcessFunction"), "Events", "Uploaded", "Properties", "Filter", "S3Key", "Rules")) {
		if strings.EqualFold(str(get(r, "Name")), "prefix") {
			prefix = str(get(r, "Value"))
		}
	}
	for i, r := range ev.Records {
		where := fmt.Sprintf("Records[%d]", i)
		if r.EventSource != "aws:s3" || !strings.HasPrefix(r.EventVersion, "2.") {
			t.Errorf("%s: eventSource %q eventVersion %q, want aws:s3 2.x", where, r.EventSource, r.EventVersion)
		}
		// AWS sends "ObjectCreated:Put"; only local gateways prefix it with "s3:".
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			t.Errorf("%s: eventName %q, want ObjectCreated:*", where, r.EventName)
		}
		if r.AWSRegion == "" || r.EventTime.IsZero() || r.PrincipalID.PrincipalID == "" || r.RequestParameters.SourceIPAddress == "" {
			t.Errorf("%s: awsRegion, eventTime, userIdentity and requestParameters must be set", where)
		}
		if r.ResponseElements["x-amz-request-id"] == "" || r.ResponseElements["x-amz-id-2"] == "" {
			t.Errorf("%s: responseElements lacks x-amz-request-id or x-amz-id-2", where)
		}
		b, o := r.S3.Bucket, r.S3.Object
		wantBucket := strings.NewReplacer("${AWS::StackName}", stackName(t), "${AWS::AccountId}", "123456789012", "${AWS::Region}", r.AWSRegion).Replace(bucketNameSub)
		if b.Name != wantBucket {
			t.Errorf("%s: bucket %q, want %q (the template's name for the sample stack)", where, b.Name, wantBucket)
		}
		if b.Arn != "arn:aws:s3:::"+b.Name {
			t.Errorf("%s: bucket arn %q does not match its name", where, b.Arn)
		}
		if r.S3.SchemaVersion != "1.0" || r.S3.ConfigurationID == "" || b.OwnerIdentity.PrincipalID == "" {
			t.Errorf("%s: s3SchemaVersion, configurationId and bucket ownerIdentity must be set", where)
		}
		if prefix == "" || !strings.HasPrefix(o.URLDecodedKey, prefix) {
			t.Errorf("%s: key %q would not pass the trigger's prefix filter %q", where, o.URLDecodedKey, prefix)
		}
		if o.Size <= 0 || o.Sequencer == "" {
			t.Errorf("%s: object size and sequencer must be set", where)
		}
		if _, err := hex.DecodeString(o.ETag); err != nil || len(o.ETag) != 32 {
			t.Errorf("%s: eTag %q is not the hex MD5 of a single-part PUT", where, o.ETag)
		}
	}
}

// routeParam matches a {name} segment after regexp.QuoteMeta escaped its braces.
var routeParam = regexp.MustCompile(`\\\{(\w+)\\\}`)

func checkHTTPEvent(t *testing.T, routes map[string]route, ev events.APIGatewayV2HTTPRequest) {
	t.Helper()
	rc := ev.RequestContext
	if ev.Version != "2.0" {
		t.Errorf("version %q, want 2.0", ev.Version)
	}
	r, ok := routes[ev.RouteKey]
	if !ok {
		t.Fatalf("routeKey %q is not a route of template.yaml", ev.RouteKey)
	}
	if rc.RouteKey != ev.RouteKey || rc.HTTP.Method != r.Method {
		t.Errorf("requestContext routeKey %q method %q disagree with routeKey %q", rc.RouteKey, rc.HTTP.Method, ev.RouteKey)
	}
	if ev.RawPath == "" || rc.HTTP.Path != ev.RawPath {
		t.Errorf("rawPath %q and requestContext.http.path %q must be equal and set", ev.RawPath, rc.HTTP.Path)
	}
	if net.ParseIP(rc.HTTP.SourceIP) == nil || rc.HTTP.Protocol == "" || rc.HTTP.UserAgent == "" {
		t.Errorf("requestContext.http sourceIp %q, protocol and userAgent must be set", rc.HTTP.SourceIP)
	}
	if rc.AccountID == "" || rc.APIID == "" || rc.RequestID == "" || rc.Stage != "$default" {
		t.Errorf("requestContext accountId, apiId, requestId must be set and stage $default")
	}
	if !strings.HasPrefix(rc.DomainName, rc.APIID+".execute-api.") || !strings.HasSuffix(rc.DomainName, ".amazonaws.com") || rc.DomainPrefix != rc.APIID {
		t.Errorf("domainName %q / domainPrefix %q do not belong to api %q", rc.DomainName, rc.DomainPrefix, rc.APIID)
	}
	if ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", rc.Time); err != nil || ts.Unix() != rc.TimeEpoch/1000 {
		t.Errorf("time %q and timeEpoch %d disagree", rc.Time, rc.TimeEpoch)
	}

	// HTTP APIs lower-case header names; handlers look them up that way.
	for k := range ev.Headers {
		if k != strings.ToLower(k) {
			t.Errorf("header %q is not lower case", k)
		}
	}
	if ev.Headers["host"] != rc.DomainName {
		t.Errorf("host header %q, want %q", ev.Headers["host"], rc.DomainName)
	}
	if !strings.Contains(ev.Headers["x-forwarded-for"], rc.HTTP.SourceIP) {
		t.Errorf("x-forwarded-for %q lacks sourceIp %q", ev.Headers["x-forwarded-for"], rc.HTTP.SourceIP)
	}

	// Path parameters are what the route template captures from rawPath.
	expr := routeParam.ReplaceAllString(regexp.QuoteMeta(r.Path), `(?P<$1>[^/]+)`)
	re := regexp.MustCompile("^" + expr + "$")
	if m := re.FindStringSubmatch(ev.RawPath); m == nil {
		t.Errorf("rawPath %q does not match route path %q", ev.RawPath, r.Path)
	} else {
		want := map[string]string{}
		for i, name := range re.SubexpNames() {
			if name != "" {
				want[name] = m[i]
			}
		}
		if !mapsEqual(ev.PathParameters, want) {
			t.Errorf("pathParameters %v, want %v", ev.PathParameters, want)
		}
	}

	// queryStringParameters are rawQueryString percent-decoded ('+' is left alone, as API
	// Gateway does), duplicates joined with commas.
	wantQ := map[string]string{}
	if ev.RawQueryString != "" {
		for _, kv := range strings.Split(ev.RawQueryString, "&") {
			k, v, _ := strings.Cut(kv, "=")
			dk, err1 := url.PathUnescape(k)
			dv, err2 := url.PathUnescape(v)
			if err1 != nil || err2 != nil {
				t.Errorf("rawQueryString %q is not valid percent-encoding", ev.RawQueryString)
			}
			if prev, ok := wantQ[dk]; ok {
				dv = prev + "," + dv
			}
			wantQ[dk] = dv
		}
	}
	if !mapsEqual(ev.QueryStringParameters, wantQ) {
		t.Errorf("queryStringParameters %v, want %v from rawQueryString", ev.QueryStringParameters, wantQ)
	}

	if ev.Body != "" {
		if ev.IsBase64Encoded {
			if _, err := base64.StdEncoding.DecodeString(ev.Body); err != nil {
				t.Errorf("isBase64Encoded but body is not base64: %v", err)
			}
		} else {
			if cl := ev.Headers["content-length"]; cl != strconv.Itoa(len(ev.Body)) {
				t.Errorf("content-length %q, body has %d bytes", cl, len(ev.Body))
			}
			if strings.HasPrefix(ev.Headers["content-type"], "application/json") && !json.Valid([]byte(ev.Body)) {
				t.Errorf("body is not valid JSON")
			}
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// The samples tell one story — create, upload, read — so that running them in sequence
// against a local stack exercises one track: same file, same ID.
func TestEventsDescribeOneUpload(t *testing.T) {
	read := func(name string, v any) {
		t.Helper()
		raw, err := os.ReadFile(filepath.Join(eventsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	var create, getURL, getTrack events.APIGatewayV2HTTPRequest
	var put events.S3Event
	read("apigw-create.json", &create)
	read("apigw-getuploadurl.json", &getURL)
	read("apigw-get.json", &getTrack)
	read("s3-put.json", &put)

	var body struct {
		Filename string `json:"filename"`
		Type     string `json:"type"`
		Size     int64  `json:"size"`
		MD5      string `json:"md5"`
	}
	if err := json.Unmarshal([]byte(create.Body), &body); err != nil {
		t.Fatalf("apigw-create.json body: %v", err)
	}
	if body.Filename == "" || body.Type == "" || body.Size <= 0 || body.MD5 == "" {
		t.Fatalf("apigw-create.json body lacks filename, type, size or md5: %+v", body)
	}
	q := getURL.QueryStringParameters
	if q["filename"] != body.Filename || q["type"] != body.Type || q["size"] != strconv.FormatInt(body.Size, 10) || q["md5"] != body.MD5 {
		t.Errorf("getuploadurl query %v does not describe the same file as the create body %+v", q, body)
	}
	if len(put.Records) == 0 {
		t.Fatal("s3-put.json has no records")
	}
	obj := put.Records[0].S3.Object
	md5, err := base64.StdEncoding.DecodeString(body.MD5)
	if err != nil || len(md5) != 16 {
		t.Fatalf("md5 %q is not base64 of 16 bytes", body.MD5)
	}
	if obj.ETag != hex.EncodeToString(md5) || obj.Size != body.Size {
		t.Errorf("s3-put.json object (eTag %s, size %d) is not the declared upload (md5 %x, size %d)", obj.ETag, obj.Size, md5, body.Size)
	}
	id := getTrack.PathParameters["id"]
	if id == "" || !strings.HasPrefix(obj.URLDecodedKey, "uploads/"+id+"/") {
		t.Errorf("s3-put.json key %q is not under uploads/%s/ (apigw-get.json's id)", obj.URLDecodedKey, id)
	}
}

// One origin for browsers: the distribution sends the API and the share pages to the HTTP API
// and everything else to the private site bucket, which only this distribution may read.
func TestTemplateDistribution(t *testing.T) {
	tp := loadTemplate(t)
	cfg := get(tp.props("Distribution"), "DistributionConfig")
	origins := map[string]any{}
	for _, o := range asList(get(cfg, "Origins")) {
		origins[str(get(o, "Id"))] = o
	}
	if res, attr, ok := getAtt(get(origins["site"], "DomainName")); !ok || res != "SiteBucket" || attr != "RegionalDomainName" {
		t.Errorf("site origin = %v, want the site bucket", get(origins["site"], "DomainName"))
	}
	if res, _, ok := getAtt(get(origins["site"], "OriginAccessControlId")); !ok || res != "SiteOriginAccessControl" {
		t.Errorf("site origin without Origin Access Control")
	}
	if s, _ := subString(get(origins["api"], "DomainName")); !strings.HasPrefix(s, "${HttpApi}.execute-api.") {
		t.Errorf("api origin = %v, want the HTTP API", get(origins["api"], "DomainName"))
	}
	if str(get(origins["api"], "CustomOriginConfig", "OriginProtocolPolicy")) != "https-only" {
		t.Error("api origin is not https-only")
	}
	if o := str(get(cfg, "DefaultCacheBehavior", "TargetOriginId")); o != "site" {
		t.Errorf("default behaviour goes to %q, want site", o)
	}
	const cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	want := map[string]string{"/api/*": "api", "/healthz": "api", "/t/*": "api", "/embed/*": "api", "/oembed": "api"}
	got := map[string]bool{}
	for _, b := range asList(get(cfg, "CacheBehaviors")) {
		p := str(get(b, "PathPattern"))
		got[p] = true
		if o := str(get(b, "TargetOriginId")); o != want[p] {
			t.Errorf("%s goes to %q, want %q", p, o, want[p])
		}
		if vp := str(get(b, "ViewerProtocolPolicy")); vp == "allow-all" {
			t.Errorf("%s allows plain HTTP", p)
		}
		cache := get(b, "CachePolicyId")
		switch p {
		case "/api/*", "/healthz":
			// Never cached: every API answer is per request (and the POST/PUT/DELETE methods pass).
			if str(cache) != cachingDisabled {
				t.Errorf("%s cache policy = %v, want CachingDisabled", p, cache)
			}
		default:
			// The pages honour the origin's Cache-Control, bounded.
			if !isRef(cache, "PagesCachePolicy") {
				t.Errorf("%s cache policy = %v, want PagesCachePolicy", p, cache)
			}
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("no behaviour for %s", p)
		}
	}
	pc := get(tp.props("PagesCachePolicy"), "CachePolicyConfig")
	if max, err := strconv.Atoi(str(get(pc, "MaxTTL"))); err != nil || max <= 0 || max > 3600 {
		t.Errorf("pages MaxTTL = %v, want a few minutes at most", get(pc, "MaxTTL"))
	}
	if str(get(pc, "DefaultTTL")) != "0" {
		t.Errorf("pages DefaultTTL = %v, want 0: a page without Cache-Control (processing) is not cached", get(pc, "DefaultTTL"))
	}

	// The site bucket: private, read only by this distribution.
	sb := tp.props("SiteBucket")
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if str(get(sb, "PublicAccessBlockConfiguration", k)) != "true" {
			t.Errorf("site bucket %s is not true", k)
		}
	}
	var allows int
	for _, st := range asList(get(tp.props("SiteBucketPolicy"), "PolicyDocument", "Statement")) {
		if str(get(st, "Effect")) != "Allow" {
			continue
		}
		allows++
		arn, _ := subString(get(st, "Condition", "StringEquals", "AWS:SourceArn"))
		if str(get(st, "Principal", "Service")) != "cloudfront.amazonaws.com" || str(get(st, "Action")) != "s3:GetObject" ||
			!strings.HasSuffix(arn, ":distribution/${Distribution}") {
			t.Errorf("site bucket grant %v: want s3:GetObject for this distribution only", st)
		}
	}
	if allows != 1 {
		t.Errorf("site bucket policy has %d grants, want 1", allows)
	}
}

// The API's viewer-request function, run under Node.js exactly as written in the template
// (CloudFront Functions are a JavaScript subset; this code uses only what both have): v1 paths
// lower-cased, and the viewer's address in x-viewer-address whatever the viewer sent.
func TestTemplateApiRequestFunction(t *testing.T) {
	tp := loadTemplate(t)
	code := str(tp.props("ApiRequestFunction")["FunctionCode"])
	if code == "" {
		t.Fatal("ApiRequestFunction has no FunctionCode")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to run the CloudFront function: %v", err)
	}
	cases := map[string]string{
		"/api/getUploadURL":       "/api/getuploadurl",
		"/API/GETTRACKINFO":       "/api/gettrackinfo",
		"/api/getDownloadUrl":     "/api/getdownloadurl",
		"/api/tracks/AbCdEf12":    "/api/tracks/AbCdEf12", // IDs are case-sensitive: untouched
		"/api/tracks/Ab/download": "/api/tracks/Ab/download",
		"/t/AbCdEf12":             "/t/AbCdEf12",
	}
	in, _ := json.Marshal(slices.Collect(maps.Keys(cases)))
	script := code + `
const uris = JSON.parse(process.argv[1]);
const out = {};
for (const uri of uris) out[uri] = handler({viewer: {ip: '198.51.100.7'}, request: {uri, method: 'GET', querystring: {}, headers: {}}}).uri;
// A viewer that forges the header (or the usual forwarded-for ones) gets its own address in it.
const forged = handler({viewer: {ip: '2001:db8::1'}, request: {uri: '/api/tracks', method: 'POST', querystring: {},
  headers: {'x-viewer-address': {value: '10.0.0.1'}, 'x-forwarded-for': {value: '10.0.0.2'}}}});
out.viewer = forged.headers['x-viewer-address'].value;
console.log(JSON.stringify(out));`
	raw, err := exec.Command(node, "-e", script, string(in)).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, raw)
	}
	var got map[string]string
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("output %q: %v", raw, err)
	}
	for uri, want := range cases {
		if got[uri] != want {
			t.Errorf("%s → %q, want %q", uri, got[uri], want)
		}
	}
	if got["viewer"] != "2001:db8::1" {
		t.Errorf("x-viewer-address = %q, want the viewer's own address 2001:db8::1", got["viewer"])
	}
	if strings.ToLower(httpapi.ViewerAddressHeader) != "x-viewer-address" {
		t.Errorf("the API reads %s, the function sets x-viewer-address", httpapi.ViewerAddressHeader)
	}
	// It runs on the API behaviour only, before the request reaches the origin.
	var associated bool
	for _, b := range asList(get(tp.props("Distribution"), "DistributionConfig", "CacheBehaviors")) {
		for _, fa := range asList(get(b, "FunctionAssociations")) {
			res, _, _ := getAtt(get(fa, "FunctionARN"))
			if res == "ApiRequestFunction" {
				associated = str(get(b, "PathPattern")) == "/api/*" && str(get(fa, "EventType")) == "viewer-request"
			}
		}
	}
	if !associated {
		t.Error("ApiRequestFunction is not the viewer-request function of /api/*")
	}
}

// The site's files get, from CloudFront, what httpapi.Site sends under make dev: the upload page
// refuses framing (X-Frame-Options too), and every file may be read from any origin without
// credentials (the embed's module scripts, fetched in CORS mode from a sandboxed link card). The
// embed itself, from the API, gets no response headers policy: it must stay framable.
func TestTemplateSiteHeaders(t *testing.T) {
	tp := loadTemplate(t)
	cfg := get(tp.props("SiteHeadersPolicy"), "ResponseHeadersPolicyConfig")
	fo := get(cfg, "SecurityHeadersConfig", "FrameOptions")
	if str(get(fo, "FrameOption")) != "DENY" || str(get(fo, "Override")) != "true" {
		t.Errorf("FrameOptions = %s, want DENY, overriding", describe(fo))
	}
	cors := get(cfg, "CorsConfig")
	if str(get(cors, "AccessControlAllowCredentials")) != "false" {
		t.Errorf("AccessControlAllowCredentials = %v, want false", get(cors, "AccessControlAllowCredentials"))
	}
	if o := asList(get(cors, "AccessControlAllowOrigins", "Items")); len(o) != 1 || str(o[0]) != "*" {
		t.Errorf("AccessControlAllowOrigins = %s, want ['*']", describe(o))
	}
	for _, m := range asList(get(cors, "AccessControlAllowMethods", "Items")) {
		if str(m) != "GET" && str(m) != "HEAD" {
			t.Errorf("AccessControlAllowMethods has %v, want GET and HEAD only", m)
		}
	}
	if str(get(cors, "OriginOverride")) != "true" {
		t.Errorf("OriginOverride = %v, want true", get(cors, "OriginOverride"))
	}
	dist := get(tp.props("Distribution"), "DistributionConfig")
	if !isRef(get(dist, "DefaultCacheBehavior", "ResponseHeadersPolicyId"), "SiteHeadersPolicy") {
		t.Error("the site's behaviour does not use SiteHeadersPolicy")
	}
	for _, b := range asList(get(dist, "CacheBehaviors")) {
		if p := str(get(b, "PathPattern")); p == "/embed/*" && get(b, "ResponseHeadersPolicyId") != nil {
			t.Errorf("/embed/* has a response headers policy %v: the embed must stay framable", get(b, "ResponseHeadersPolicyId"))
		}
	}
}

// The upload page's CSP comes from CloudFront in AWS and from httpapi.Server.CSP under make dev:
// they must be the same policy, with the media bucket's endpoint as the media origin.
func TestTemplateSiteCSP(t *testing.T) {
	tp := loadTemplate(t)
	got, ok := subString(get(tp.props("SiteHeadersPolicy"), "ResponseHeadersPolicyConfig", "SecurityHeadersConfig", "ContentSecurityPolicy", "ContentSecurityPolicy"))
	if !ok {
		t.Fatal("SiteHeadersPolicy has no !Sub Content-Security-Policy")
	}
	srv := httpapi.Server{MediaOrigin: "https://" + bucketNameSub + ".s3.${AWS::Region}.${AWS::URLSuffix}"}
	if want := srv.CSP("'none'"); got != want {
		t.Errorf("site CSP in the template:\n  %s\nthe server's:\n  %s", got, want)
	}
}

// The API serves only what came through the distribution, and limits uploads per viewer across
// instances: CloudFront's custom header on the API origin carries the generated secret that
// every function behind the API checks, and the upload function counts in the limits table.
func TestTemplateOriginVerify(t *testing.T) {
	tp := loadTemplate(t)
	const ref = "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}"
	var headers []any
	for _, o := range asList(get(tp.props("Distribution"), "DistributionConfig", "Origins")) {
		if str(get(o, "Id")) == "api" {
			headers = asList(get(o, "OriginCustomHeaders"))
		}
	}
	if len(headers) != 1 || str(get(headers[0], "HeaderName")) != httpapi.OriginVerifyHeader {
		t.Fatalf("api origin custom headers = %s, want %s", describe(headers), httpapi.OriginVerifyHeader)
	}
	if s, _ := subString(get(headers[0], "HeaderValue")); s != ref {
		t.Errorf("%s = %s, want !Sub %q", httpapi.OriginVerifyHeader, describe(get(headers[0], "HeaderValue")), ref)
	}
	if tp.typeOf("OriginVerifySecret") != "AWS::SecretsManager::Secret" {
		t.Fatalf("OriginVerifySecret is a %q", tp.typeOf("OriginVerifySecret"))
	}
	gen := get(tp.props("OriginVerifySecret"), "GenerateSecretString")
	if n, _ := strconv.Atoi(str(get(gen, "PasswordLength"))); n < 32 {
		t.Errorf("secret length %d, want at least 32", n)
	}
	for _, id := range tp.ofType("AWS::Serverless::Function") {
		if len(tp.eventsOfType(id, "HttpApi")) == 0 {
			if v := get(tp.function(id), "Environment", "Variables", "ORIGIN_VERIFY_SECRET"); v != nil {
				t.Errorf("%s serves no API route but gets the secret", id)
			}
			continue
		}
		if s, _ := subString(get(tp.function(id), "Environment", "Variables", "ORIGIN_VERIFY_SECRET")); s != ref {
			t.Errorf("%s ORIGIN_VERIFY_SECRET = %s, want !Sub %q", id, describe(get(tp.function(id), "Environment", "Variables", "ORIGIN_VERIFY_SECRET")), ref)
		}
	}
	if v := get(tp.function("UploadFunction"), "Environment", "Variables", "LIMITS_TABLE"); !isRef(v, "LimitsTable") {
		t.Errorf("UploadFunction LIMITS_TABLE = %s, want !Ref LimitsTable", describe(v))
	}
	lt := tp.props("LimitsTable")
	if str(get(lt, "TimeToLiveSpecification", "AttributeName")) != "ttl" || str(get(lt, "BillingMode")) != "PAY_PER_REQUEST" || get(lt, "StreamSpecification") != nil {
		t.Errorf("LimitsTable = %s, want on-demand, ttl, no stream", describe(lt))
	}
	cfg := get(tp.props("Distribution"), "DistributionConfig")
	if v := get(cfg, "WebACLId"); describe(v) != describe(intrinsic{"Fn::If", []any{"HasWebAcl", intrinsic{"Ref", "WebAclArn"}, intrinsic{"Ref", "AWS::NoValue"}}}) {
		t.Errorf("WebACLId = %s, want the optional WebAclArn", describe(v))
	}
}
