package cfn

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Template is a parsed CloudFormation or SAM template. Its accessors return values of the model
// (see the package documentation) and nil, "" or no values for what the template does not have:
// a check of an absent property then fails on the value it expected, not on a lookup error.
type Template struct {
	root      map[string]any
	resources map[string]map[string]any
}

// Load reads and parses the template at path. It fails when the file cannot be read and as
// [Parse] does, naming the path.
func Load(path string) (*Template, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cfn: %w", err)
	}
	t, err := parse(raw)
	if err != nil {
		return nil, fmt.Errorf("cfn: %s: %w", path, err)
	}
	return t, nil
}

// Parse reads a template from YAML or JSON. It fails as [Decode] does, and when the top level is
// not a mapping, when there are no Resources (CloudFormation requires at least one) or when a
// resource is not a mapping.
func Parse(data []byte) (*Template, error) {
	t, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("cfn: %w", err)
	}
	return t, nil
}

func parse(data []byte) (*Template, error) {
	v, err := decode(data)
	if err != nil {
		return nil, err
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("top level is not a mapping")
	}
	res, _ := root["Resources"].(map[string]any)
	if len(res) == 0 {
		return nil, errors.New("no Resources")
	}
	t := &Template{root: root, resources: make(map[string]map[string]any, len(res))}
	for id, r := range res {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("resource %s is not a mapping", id)
		}
		t.resources[id] = m
	}
	return t, nil
}

// Get returns what is at path from the top of the template (Get("Transform"),
// Get("Outputs", "ApiUrl", "Value")), or nil.
func (t *Template) Get(path ...string) any { return Get(t.root, path...) }

// Resource returns the resource with the given logical ID (Type, Properties, Metadata…), or nil.
func (t *Template) Resource(id string) map[string]any { return t.resources[id] }

// Type returns the Type of the resource id, or "".
func (t *Template) Type(id string) string { return Scalar(t.resources[id]["Type"]) }

// Properties returns the Properties of the resource id as the template writes them, without
// Globals, or nil.
func (t *Template) Properties(id string) map[string]any {
	p, _ := t.resources[id]["Properties"].(map[string]any)
	return p
}

// OfType returns the logical IDs of the resources of type typ, sorted.
func (t *Template) OfType(typ string) []string {
	var ids []string
	for id := range t.resources {
		if t.Type(id) == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Parameter returns the declaration of the parameter name (Type, Default, AllowedPattern…), or
// nil.
func (t *Template) Parameter(name string) map[string]any {
	p, _ := t.Get("Parameters", name).(map[string]any)
	return p
}

// Globals returns the SAM Globals section for a kind of resource ("Function", "HttpApi"…), or
// nil.
func (t *Template) Globals(kind string) map[string]any {
	g, _ := t.Get("Globals", kind).(map[string]any)
	return g
}

// Function returns the properties of the AWS::Serverless::Function id as SAM deploys them, with
// Globals.Function merged in by [MergeGlobals], or nil if id is not such a function. Checking
// the merged view catches, for example, a local Architectures that SAM would append to the
// global one.
func (t *Template) Function(id string) map[string]any {
	if t.Type(id) != "AWS::Serverless::Function" {
		return nil
	}
	merged, _ := MergeGlobals(t.Globals("Function"), t.Properties(id)).(map[string]any)
	return merged
}

// MergeGlobals merges a SAM Globals value into a resource's local value the way SAM does: two
// mappings merge key by key (recursively), two lists concatenate (the global values first), and
// anything else, intrinsics included, is replaced by the local value when there is one.
func MergeGlobals(global, local any) any {
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
			out[k] = MergeGlobals(gm[k], v)
		}
		return out
	}
	gl, gok := global.([]any)
	ll, lok := local.([]any)
	if gok && lok {
		return slices.Concat(gl, ll)
	}
	return local
}

// Events returns the events of type typ ("HttpApi", "S3", "Schedule"…) of the SAM function fn,
// by event name.
func (t *Template) Events(fn, typ string) map[string]any {
	out := map[string]any{}
	evs, _ := t.Properties(fn)["Events"].(map[string]any)
	for name, e := range evs {
		if Scalar(Get(e, "Type")) == typ {
			out[name] = e
		}
	}
	return out
}

// Route is an HttpApi event of a SAM function: the route Method Path invokes Function.
type Route struct {
	Function, Event string
	Method, Path    string // Method upper-cased, as in an HTTP API route key
}

// Key returns the HTTP API route key, "METHOD /path".
func (r Route) Key() string { return r.Method + " " + r.Path }

// Routes returns every HttpApi event of the template's SAM functions, sorted by route key and
// then by function and event. Two routes with one key are both returned: the API would reject
// them, and it is the caller's check to make.
func (t *Template) Routes() []Route {
	var out []Route
	for _, fn := range t.OfType("AWS::Serverless::Function") {
		for name, e := range t.Events(fn, "HttpApi") {
			p := Get(e, "Properties")
			out = append(out, Route{
				Function: fn,
				Event:    name,
				Method:   strings.ToUpper(Scalar(Get(p, "Method"))),
				Path:     Scalar(Get(p, "Path")),
			})
		}
	}
	slices.SortFunc(out, func(a, b Route) int {
		return cmp.Or(strings.Compare(a.Key(), b.Key()), strings.Compare(a.Function, b.Function), strings.Compare(a.Event, b.Event))
	})
	return out
}
