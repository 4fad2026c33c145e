package soundtime_test

// Offline checks of template.yaml, the Makefiles, samconfig.toml, make deploy and the sample
// events in events/. There is no AWS account, sam CLI or Docker where this runs, so these tests
// (and cfn-lint, `make lint-template`) are what stands between a template edit and a failed (or,
// worse, over-privileged) deploy. The template is read by internal/cfn; the checks are cut by
// topic:
//
//	template_test.go             what the template is: a SAM template, its functions and outputs
//	template_functions_test.go   Globals, environment, the origin, parameters, each function, the
//	                             ffmpeg layer and the versions it publishes
//	template_iam_test.go         least-privilege policies, no circular bucket reference
//	template_storage_test.go     the tables, the media bucket, the failure queues, what is kept
//	template_api_test.go         HTTP API routes, their wiring and throttling
//	template_cloudfront_test.go  the distribution, its viewer-request function, headers and CSP
//	template_operations_test.go  alarms and their topic, failure queues, logs, the dashboard
//	template_build_test.go       the Makefiles sam build runs, samconfig.toml, cfn-lint in make test
//	makefile_deploy_test.go      make deploy, run against a fake sam and aws
//	events_test.go               events/*.json against the template and aws-lambda-go

import (
	"slices"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
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

	// The media bucket's name is derived, not generated, so that policies can name it without
	// a Ref (docs/design.md: a Ref from a triggered function's role to its bucket is a cycle).
	bucketNameSub = "${AWS::StackName}-media-${AWS::AccountId}-${AWS::Region}"
	bucketArnSub  = "arn:${AWS::Partition}:s3:::" + bucketNameSub
)

// The design's functions, by logical ID. The Makefile's build-<LogicalId> targets and the
// functions/<name> directories follow these names.
var functionIDs = []string{"UploadFunction", "TrackFunction", "PagesFunction", "DownloadFunction", "ProcessFunction", "SweepFunction", "FederationFunction", "DeliverFunction", "ExpireFunction", "UnlistFunction", "ReconcileFunction"}

// loadTemplate parses template.yaml with the CloudFormation reader of internal/cfn.
func loadTemplate(t *testing.T) *cfn.Template {
	t.Helper()
	tp, err := cfn.Load(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// routes maps "METHOD /path" (an HTTP API route key) to the route's function. A key on two
// events fails the test: the API would refuse the second.
func routes(t *testing.T, tp *cfn.Template) map[string]cfn.Route {
	t.Helper()
	out := map[string]cfn.Route{}
	for _, r := range tp.Routes() {
		if prev, dup := out[r.Key()]; dup {
			t.Errorf("route %q is on both %s and %s.%s", r.Key(), prev.Function, r.Function, r.Event)
		}
		out[r.Key()] = r
	}
	return out
}

func TestTemplateIsSAM(t *testing.T) {
	tp := loadTemplate(t)
	if got := cfn.Describe(tp.Get("Transform")); !strings.Contains(got, "AWS::Serverless-2016-10-31") {
		t.Errorf("Transform = %s, want AWS::Serverless-2016-10-31", got)
	}
	got := tp.OfType("AWS::Serverless::Function")
	want := slices.Sorted(slices.Values(functionIDs))
	if !slices.Equal(got, want) {
		t.Errorf("functions = %v, want %v (other functions come with later issues)", got, want)
	}
	if got := tp.OfType("AWS::Serverless::LayerVersion"); !slices.Equal(got, []string{layerID}) {
		t.Errorf("layers = %v, want [%s]", got, layerID)
	}
}

func TestTemplateOutputs(t *testing.T) {
	tp := loadTemplate(t)
	for _, k := range []string{"ApiUrl", "MediaBucketName", "TableName"} {
		if tp.Get("Outputs", k, "Value") == nil {
			t.Errorf("output %s missing", k)
		}
	}
}
