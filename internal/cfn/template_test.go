package cfn_test

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
)

// A SAM template with what the accessors look at: Globals that each merge rule applies to,
// parameters, a non-function resource and functions with events.
const samTemplate = `
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: prod}
  DeploymentType: {Type: String}
Globals:
  Function:
    Runtime: provided.al2023
    Architectures: [arm64]
    Timeout: 10
    Layers: [!Ref Shared]
    DeploymentPreference:
      Type: !Ref DeploymentType
    Environment:
      Variables:
        STAGE: !Ref Stage
        TABLE: !Ref Table
    Tags: {team: audio}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties: {BillingMode: PAY_PER_REQUEST}
  Shared:
    Type: AWS::Serverless::LayerVersion
    Metadata: {BuildMethod: makefile}
  Web:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 30
      Architectures: [x86_64]
      Layers: [!Ref Extra]
      DeploymentPreference:
        Alarms: [!Ref WebErrors]
      Environment:
        Variables:
          TABLE: other
          MODE: web
      Tags: !Ref NotAMap
      Events:
        Get: {Type: HttpApi, Properties: {Method: get, Path: '/t/{id}'}}
        Post: {Type: HttpApi, Properties: {Method: POST, Path: /api/tracks}}
        Nightly: {Type: Schedule, Properties: {Schedule: rate(1 day)}}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Again: {Type: HttpApi, Properties: {Method: GET, Path: '/t/{id}'}}
  Bare:
    Type: AWS::Serverless::Function
Outputs:
  TableName: {Value: !Ref Table}
`

func parse(t *testing.T, src string) *cfn.Template {
	t.Helper()
	tp, err := cfn.Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return tp
}

func TestTemplateAccessors(t *testing.T) {
	tp := parse(t, samTemplate)
	if got := tp.Get("Transform"); got != "AWS::Serverless-2016-10-31" {
		t.Errorf("Get(Transform) = %s", cfn.Describe(got))
	}
	if got := tp.Get("Outputs", "TableName", "Value"); !cfn.IsRef(got, "Table") {
		t.Errorf("Get(Outputs, TableName, Value) = %s", cfn.Describe(got))
	}
	if got := tp.Type("Table"); got != "AWS::DynamoDB::Table" {
		t.Errorf("Type(Table) = %q", got)
	}
	if got := tp.Type("Missing"); got != "" {
		t.Errorf("Type(Missing) = %q, want empty", got)
	}
	if got := tp.Properties("Table"); !reflect.DeepEqual(got, map[string]any{"BillingMode": "PAY_PER_REQUEST"}) {
		t.Errorf("Properties(Table) = %s", cfn.Describe(got))
	}
	if got := tp.Properties("Shared"); got != nil {
		t.Errorf("Properties of a resource without any = %s, want nil", cfn.Describe(got))
	}
	if got := cfn.Get(tp.Resource("Shared"), "Metadata", "BuildMethod"); got != "makefile" {
		t.Errorf("Resource(Shared).Metadata.BuildMethod = %s", cfn.Describe(got))
	}
	if got := tp.Resource("Missing"); got != nil {
		t.Errorf("Resource(Missing) = %s, want nil", cfn.Describe(got))
	}
	if got := tp.OfType("AWS::Serverless::Function"); !slices.Equal(got, []string{"Bare", "Web", "Worker"}) {
		t.Errorf("OfType(function) = %v, want sorted [Bare Web Worker]", got)
	}
	if got := tp.OfType("AWS::S3::Bucket"); len(got) != 0 {
		t.Errorf("OfType(bucket) = %v, want none", got)
	}
	if got := tp.Parameter("Stage"); !reflect.DeepEqual(got, map[string]any{"Type": "String", "Default": "prod"}) {
		t.Errorf("Parameter(Stage) = %s", cfn.Describe(got))
	}
	if got := tp.Parameter("Missing"); got != nil {
		t.Errorf("Parameter(Missing) = %s, want nil", cfn.Describe(got))
	}
	if got := cfn.Scalar(tp.Globals("Function")["Runtime"]); got != "provided.al2023" {
		t.Errorf("Globals(Function).Runtime = %q", got)
	}
	if got := tp.Globals("HttpApi"); got != nil {
		t.Errorf("Globals(HttpApi) = %s, want nil", cfn.Describe(got))
	}
}

// SAM merges Globals into a function: lists concatenate (global values first), maps merge key by
// key, and anything else, intrinsics included, is replaced by the local value.
func TestTemplateFunctionMergesGlobals(t *testing.T) {
	tp := parse(t, samTemplate)
	web := tp.Function("Web")
	cases := []struct {
		name string
		got  any
		want any
	}{
		{"ListsConcatenate", web["Architectures"], []any{"arm64", "x86_64"}},
		{"ListsOfIntrinsicsConcatenate", web["Layers"], []any{cfn.Ref("Shared"), cfn.Ref("Extra")}},
		{"ScalarsAreReplaced", web["Timeout"], "30"},
		{"GlobalOnlyKeysStay", web["Runtime"], "provided.al2023"},
		{"MapsMerge", web["DeploymentPreference"], map[string]any{"Type": cfn.Ref("DeploymentType"), "Alarms": []any{cfn.Ref("WebErrors")}}},
		{"NestedMapsMerge", cfn.Get(web, "Environment", "Variables"), map[string]any{"STAGE": cfn.Ref("Stage"), "TABLE": "other", "MODE": "web"}},
		{"AnIntrinsicReplacesAMap", web["Tags"], cfn.Ref("NotAMap")},
		{"LocalOnlyKeysStay", cfn.Get(web, "Events", "Nightly", "Type"), "Schedule"},
		{"NoPropertiesGetsTheGlobals", tp.Function("Bare")["Architectures"], []any{"arm64"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("got %s, want %s", cfn.Describe(c.got), cfn.Describe(c.want))
			}
		})
	}
	t.Run("GlobalsUntouched", func(t *testing.T) {
		// Merging one function must not change what the next one gets.
		tp.Function("Worker")
		if got := tp.Globals("Function")["Architectures"]; !reflect.DeepEqual(got, []any{"arm64"}) {
			t.Errorf("Globals.Function.Architectures = %s after merging", cfn.Describe(got))
		}
		if got := cfn.Get(tp.Globals("Function"), "Environment", "Variables", "TABLE"); !cfn.IsRef(got, "Table") {
			t.Errorf("Globals.Function.Environment.Variables.TABLE = %s after merging", cfn.Describe(got))
		}
		if got := tp.Function("Worker")["Architectures"]; !reflect.DeepEqual(got, []any{"arm64"}) {
			t.Errorf("Worker Architectures = %s", cfn.Describe(got))
		}
	})
	t.Run("NotAFunction", func(t *testing.T) {
		for _, id := range []string{"Table", "Shared", "Missing"} {
			if got := tp.Function(id); got != nil {
				t.Errorf("Function(%s) = %s, want nil", id, cfn.Describe(got))
			}
		}
	})
}

func TestMergeGlobals(t *testing.T) {
	cases := []struct {
		name                string
		global, local, want any
	}{
		{"NoGlobal", nil, "a", "a"},
		{"NoLocal", []any{"a"}, nil, []any{"a"}},
		{"Lists", []any{"a"}, []any{"b", "c"}, []any{"a", "b", "c"}},
		{"ListAndScalar", []any{"a"}, "b", "b"},
		{"Scalars", "a", "b", "b"},
		{"IntrinsicOverMap", map[string]any{"k": "v"}, cfn.Ref("X"), cfn.Ref("X")},
		{"MapOverIntrinsic", cfn.Ref("X"), map[string]any{"k": "v"}, map[string]any{"k": "v"}},
		{
			"DeepMaps",
			map[string]any{"a": map[string]any{"x": "1", "l": []any{"g"}}, "b": "2"},
			map[string]any{"a": map[string]any{"y": "3", "l": []any{"l"}}, "c": "4"},
			map[string]any{"a": map[string]any{"x": "1", "y": "3", "l": []any{"g", "l"}}, "b": "2", "c": "4"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := cfn.MergeGlobals(c.global, c.local); !reflect.DeepEqual(got, c.want) {
				t.Errorf("MergeGlobals(%s, %s) = %s, want %s", cfn.Describe(c.global), cfn.Describe(c.local), cfn.Describe(got), cfn.Describe(c.want))
			}
		})
	}
	t.Run("NoSharedBackingArray", func(t *testing.T) {
		// A global list with room to spare must not become the backing array of two functions'
		// lists, or merging the second would rewrite the first.
		global := append(make([]any, 0, 4), "arm64")
		first := cfn.MergeGlobals(global, []any{"a"})
		second := cfn.MergeGlobals(global, []any{"b"})
		if !reflect.DeepEqual(first, []any{"arm64", "a"}) || !reflect.DeepEqual(second, []any{"arm64", "b"}) {
			t.Errorf("merged %s and %s, want [arm64 a] and [arm64 b]", cfn.Describe(first), cfn.Describe(second))
		}
	})
}

func TestTemplateEventsAndRoutes(t *testing.T) {
	tp := parse(t, samTemplate)
	evs := tp.Events("Web", "HttpApi")
	if got := slices.Sorted(maps.Keys(evs)); !slices.Equal(got, []string{"Get", "Post"}) {
		t.Errorf("Events(Web, HttpApi) = %v, want [Get Post]", got)
	}
	if got := tp.Events("Web", "S3"); len(got) != 0 {
		t.Errorf("Events(Web, S3) = %s, want none", cfn.Describe(got))
	}
	if got := tp.Events("Bare", "HttpApi"); len(got) != 0 {
		t.Errorf("Events(Bare, HttpApi) = %s, want none", cfn.Describe(got))
	}
	// Both routes on GET /t/{id} are returned, in a stable order, for the caller to reject.
	want := []cfn.Route{
		{Function: "Web", Event: "Get", Method: "GET", Path: "/t/{id}"},
		{Function: "Worker", Event: "Again", Method: "GET", Path: "/t/{id}"},
		{Function: "Web", Event: "Post", Method: "POST", Path: "/api/tracks"},
	}
	if got := tp.Routes(); !slices.Equal(got, want) {
		t.Errorf("Routes = %+v\nwant %+v", got, want)
	}
	if got := want[2].Key(); got != "POST /api/tracks" {
		t.Errorf("Key = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"Malformed", "Resources: [a\n", "yaml:"},
		{"DuplicateResource", "Resources:\n  A: {Type: X}\n  A: {Type: Y}\n", `duplicate key "A"`},
		{"NotAMapping", "- a\n- b\n", "top level is not a mapping"},
		{"NoResources", "Parameters: {}\n", "no Resources"},
		{"EmptyResources", "Resources: {}\n", "no Resources"},
		{"ResourceNotAMapping", "Resources:\n  A: text\n", "resource A is not a mapping"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tp, err := cfn.Parse([]byte(c.src))
			if err == nil {
				t.Fatalf("Parse = %v, want an error", tp)
			}
			if !strings.HasPrefix(err.Error(), "cfn: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want cfn: …%s…", err, c.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(good, []byte(samTemplate), 0o644); err != nil {
		t.Fatal(err)
	}
	tp, err := cfn.Load(good)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(tp, parse(t, samTemplate)) {
		t.Error("Load and Parse of the same template differ")
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("Resources:\n  A: 1\n  A: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := cfn.Load(bad); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "duplicate key") {
		t.Errorf("Load(bad) error = %v, want one naming %s and the duplicate key", err, bad)
	}
	if _, err := cfn.Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want fs.ErrNotExist", err)
	}
}
