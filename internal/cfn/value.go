package cfn

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Intrinsic is a call of a CloudFormation intrinsic function. Fn is the long-form name ("Ref",
// "Condition", "Fn::GetAtt", "Fn::Sub", …) and Arg its argument in the value model. The argument of
// Fn::GetAtt is always the two-element list [resource, attribute], whether the template wrote
// !GetAtt A.B or [A, B].
type Intrinsic struct {
	Fn  string
	Arg any
}

// Ref returns the intrinsic !Ref name.
func Ref(name string) Intrinsic { return Intrinsic{Fn: "Ref", Arg: name} }

// GetAtt returns the intrinsic !GetAtt resource.attr.
func GetAtt(resource, attr string) Intrinsic {
	return Intrinsic{Fn: "Fn::GetAtt", Arg: []any{resource, attr}}
}

// Sub returns the intrinsic !Sub s, without a variable map.
func Sub(s string) Intrinsic { return Intrinsic{Fn: "Fn::Sub", Arg: s} }

// String renders the intrinsic as [Describe] does.
func (in Intrinsic) String() string { return Describe(in) }

// shortForms are the YAML tags CloudFormation defines for intrinsics, by long-form name. Any other
// application tag is an error: YAML would otherwise keep a misspelt !Sbu as a silent tag.
var shortForms = map[string]string{
	"!Ref":          "Ref",
	"!Condition":    "Condition",
	"!And":          "Fn::And",
	"!Base64":       "Fn::Base64",
	"!Cidr":         "Fn::Cidr",
	"!Equals":       "Fn::Equals",
	"!FindInMap":    "Fn::FindInMap",
	"!GetAZs":       "Fn::GetAZs",
	"!GetAtt":       "Fn::GetAtt",
	"!If":           "Fn::If",
	"!ImportValue":  "Fn::ImportValue",
	"!Join":         "Fn::Join",
	"!Length":       "Fn::Length",
	"!Not":          "Fn::Not",
	"!Or":           "Fn::Or",
	"!Select":       "Fn::Select",
	"!Split":        "Fn::Split",
	"!Sub":          "Fn::Sub",
	"!ToJsonString": "Fn::ToJsonString",
	"!Transform":    "Fn::Transform",
}

// Decode reads one YAML document (JSON is YAML too) into the value model. It fails on malformed
// YAML, on an empty document, on a mapping with a duplicate key (YAML parsers disagree on them and
// CloudFormation rejects them) and on a tag that is not an intrinsic's short form.
func Decode(data []byte) (any, error) {
	v, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("cfn: %w", err)
	}
	return v, nil
}

func decode(data []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errors.New("empty document")
	}
	return toValue(doc.Content[0])
}

func toValue(n *yaml.Node) (any, error) {
	if n.Kind == yaml.AliasNode {
		return toValue(n.Alias)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		fn, ok := shortForms[n.Tag]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
		}
		plain := *n
		plain.Tag = ""
		arg, err := toValue(&plain)
		if err != nil {
			return nil, err
		}
		return newIntrinsic(fn, arg), nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
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
				if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
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
		return n.Value, nil
	}
}

func newIntrinsic(fn string, arg any) Intrinsic {
	if s, ok := arg.(string); ok && fn == "Fn::GetAtt" {
		// !GetAtt A.B is the short spelling of [A, B]; an attribute may itself hold dots
		// (!GetAtt Stack.Outputs.Name), the logical ID never does.
		if i := strings.Index(s, "."); i > 0 {
			arg = []any{s[:i], s[i+1:]}
		}
	}
	return Intrinsic{Fn: fn, Arg: arg}
}

// Get walks v through the mappings named by path and returns what it finds there, or nil when a
// step is missing or not a mapping.
func Get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// Scalar returns v if it is a scalar, and "" for anything else (nil, a mapping, a list, an
// intrinsic).
func Scalar(v any) string {
	s, _ := v.(string)
	return s
}

// List accepts CloudFormation's "one value or a list of them" (Action, Resource, Events…): it
// returns a list as it is, nil as no values, and anything else as a list of one.
func List(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

// AsRef returns the logical ID or parameter name that v refers to if v is a !Ref.
func AsRef(v any) (name string, ok bool) {
	in, isIn := v.(Intrinsic)
	if !isIn || in.Fn != "Ref" {
		return "", false
	}
	name, ok = in.Arg.(string)
	return name, ok
}

// IsRef reports whether v is !Ref target.
func IsRef(v any, target string) bool {
	name, ok := AsRef(v)
	return ok && name == target
}

// AsGetAtt returns the resource and attribute of v if v is a !GetAtt with a plain resource and
// attribute.
func AsGetAtt(v any) (resource, attr string, ok bool) {
	in, isIn := v.(Intrinsic)
	if !isIn || in.Fn != "Fn::GetAtt" {
		return "", "", false
	}
	l, isList := in.Arg.([]any)
	if !isList || len(l) != 2 {
		return "", "", false
	}
	return Scalar(l[0]), Scalar(l[1]), true
}

// AsSub returns the template string of v if v is a !Sub, in either of its forms: !Sub 's' or
// !Sub ['s', {variables}].
func AsSub(v any) (string, bool) {
	in, ok := v.(Intrinsic)
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

// subVar matches ${Name} and ${Name.Attr} in a !Sub string, but not the literal ${!Name}.
var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// References lists every logical ID or parameter that v points at, anywhere inside it, through
// Ref, GetAtt or a ${Id}/${Id.Attr} in a Sub string: these are the edges CloudFormation orders
// resources by. Pseudo parameters (AWS::Region…) and the variables a Sub defines for itself are
// not references. A name appears once per mention, in no particular order.
func References(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case Intrinsic:
			switch x.Fn {
			case "Ref":
				out = append(out, Scalar(x.Arg))
			case "Fn::GetAtt":
				if r, _, ok := AsGetAtt(x); ok {
					out = append(out, r)
				}
			case "Fn::Sub":
				if s, ok := AsSub(x); ok {
					// !Sub [s, {Name: value}] defines ${Name} itself; the value is walked below.
					var local map[string]any
					if l, ok := x.Arg.([]any); ok && len(l) > 1 {
						local, _ = l[1].(map[string]any)
					}
					for _, m := range subVar.FindAllStringSubmatch(s, -1) {
						name, _, _ := strings.Cut(m[1], ".")
						if _, defined := local[name]; !defined && !strings.Contains(name, "::") {
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

// Describe renders a value of the model compactly and deterministically, for failure messages and
// for comparing values: strings are quoted, mappings list their keys sorted, and intrinsics take
// their short form wherever they are (!Ref "X", !GetAtt ["A", "B"]). Two values of the model
// render alike only if they are equal. Values outside the model are rendered as JSON if they can
// be, and with fmt otherwise.
func Describe(v any) string {
	var b strings.Builder
	describe(&b, v)
	return b.String()
}

func describe(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(strconv.Quote(x))
	case Intrinsic:
		if tag := "!" + strings.TrimPrefix(x.Fn, "Fn::"); shortForms[tag] == x.Fn {
			b.WriteString(tag + " ")
			describe(b, x.Arg)
			return
		}
		// A function without a short form keeps its long form, so that it cannot render like
		// one that has it.
		describe(b, map[string]any{x.Fn: x.Arg})
	case map[string]any:
		b.WriteString("{")
		for i, k := range slices.Sorted(maps.Keys(x)) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(k) + ": ")
			describe(b, x[k])
		}
		b.WriteString("}")
	case []any:
		b.WriteString("[")
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			describe(b, e)
		}
		b.WriteString("]")
	default:
		if j, err := json.Marshal(x); err == nil {
			b.Write(j)
		} else {
			fmt.Fprint(b, x)
		}
	}
}
