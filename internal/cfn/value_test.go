package cfn_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
)

func decode(t *testing.T, src string) any {
	t.Helper()
	v, err := cfn.Decode([]byte(src))
	if err != nil {
		t.Fatalf("Decode(%q): %v", src, err)
	}
	return v
}

// Every intrinsic reads as the same value in its short form, its long form and JSON, so that the
// template's checks never depend on the spelling.
func TestShortAndLongFormsAgree(t *testing.T) {
	cases := []struct {
		name  string
		forms []string
		want  any
	}{
		{
			"Ref",
			[]string{`!Ref Bucket`, `Ref: Bucket`, `{"Ref": "Bucket"}`},
			cfn.Ref("Bucket"),
		},
		{
			"GetAtt",
			[]string{`!GetAtt Table.Arn`, `!GetAtt [Table, Arn]`, `Fn::GetAtt: [Table, Arn]`, `Fn::GetAtt: Table.Arn`, `{"Fn::GetAtt": ["Table", "Arn"]}`},
			cfn.GetAtt("Table", "Arn"),
		},
		{
			// An attribute may hold dots; a logical ID never does.
			"GetAttNestedAttribute",
			[]string{`!GetAtt Stack.Outputs.Name`, `Fn::GetAtt: [Stack, Outputs.Name]`},
			cfn.GetAtt("Stack", "Outputs.Name"),
		},
		{
			"Sub",
			[]string{`!Sub '${AWS::StackName}-tracks'`, `Fn::Sub: ${AWS::StackName}-tracks`, `{"Fn::Sub": "${AWS::StackName}-tracks"}`},
			cfn.Sub("${AWS::StackName}-tracks"),
		},
		{
			"SubWithList",
			[]string{
				"!Sub\n  - '${Name}.${Domain}'\n  - Name: !Ref Host\n",
				"Fn::Sub:\n  - '${Name}.${Domain}'\n  - Name: {Ref: Host}\n",
				`{"Fn::Sub": ["${Name}.${Domain}", {"Name": {"Ref": "Host"}}]}`,
			},
			cfn.Intrinsic{Fn: "Fn::Sub", Arg: []any{"${Name}.${Domain}", map[string]any{"Name": cfn.Ref("Host")}}},
		},
		{
			"IfSelectNesting",
			[]string{
				`!If [HasZone, !Select [0, !GetAZs ''], !Ref AWS::NoValue]`,
				"Fn::If:\n  - HasZone\n  - Fn::Select: ['0', {Fn::GetAZs: ''}]\n  - Ref: AWS::NoValue\n",
				`{"Fn::If": ["HasZone", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, {"Ref": "AWS::NoValue"}]}`,
			},
			cfn.Intrinsic{Fn: "Fn::If", Arg: []any{
				"HasZone",
				cfn.Intrinsic{Fn: "Fn::Select", Arg: []any{"0", cfn.Intrinsic{Fn: "Fn::GetAZs", Arg: ""}}},
				cfn.Ref("AWS::NoValue"),
			}},
		},
		{
			"Condition",
			[]string{`!Not [!Equals [!Ref Domain, '']]`, `Fn::Not: [{Fn::Equals: [{Ref: Domain}, '']}]`},
			cfn.Intrinsic{Fn: "Fn::Not", Arg: []any{cfn.Intrinsic{Fn: "Fn::Equals", Arg: []any{cfn.Ref("Domain"), ""}}}},
		},
		{
			"ConditionReference",
			[]string{`!And [!Condition HasDomain, !Condition HasWebAcl]`, `Fn::And: [{Condition: HasDomain}, {Condition: HasWebAcl}]`},
			cfn.Intrinsic{Fn: "Fn::And", Arg: []any{cfn.Intrinsic{Fn: "Condition", Arg: "HasDomain"}, cfn.Intrinsic{Fn: "Condition", Arg: "HasWebAcl"}}},
		},
		{
			"Join",
			[]string{`!Join ['', [a, !Ref B]]`, `{"Fn::Join": ["", ["a", {"Ref": "B"}]]}`},
			cfn.Intrinsic{Fn: "Fn::Join", Arg: []any{"", []any{"a", cfn.Ref("B")}}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, src := range c.forms {
				got := decode(t, src)
				if !reflect.DeepEqual(got, c.want) {
					t.Errorf("%q reads as %s, want %s", src, cfn.Describe(got), cfn.Describe(c.want))
				}
			}
		})
	}
}

func TestDecodeScalars(t *testing.T) {
	got := decode(t, `
int: 900
str: "900"
bool: true
null: ~
empty:
quotedNull: 'null'
list: [a, 1]
anchor: &a {k: v}
alias: *a
`)
	want := map[string]any{
		// CloudFormation compares "900" and 900 alike: both are strings here.
		"int": "900", "str": "900", "bool": "true",
		"null": nil, "empty": nil, "quotedNull": "null",
		"list":   []any{"a", "1"},
		"anchor": map[string]any{"k": "v"},
		"alias":  map[string]any{"k": "v"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s\nwant %s", cfn.Describe(got), cfn.Describe(want))
	}
}

// A one-key mapping is an intrinsic only when the key names one; any other stays a mapping.
func TestDecodeOneKeyMappings(t *testing.T) {
	got := decode(t, `{Properties: {Ref: X}, Effect: Allow}`)
	want := map[string]any{"Properties": cfn.Ref("X"), "Effect": "Allow"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s, want %s", cfn.Describe(got), cfn.Describe(want))
	}
	if got := decode(t, `{Reference: X}`); !reflect.DeepEqual(got, map[string]any{"Reference": "X"}) {
		t.Errorf("{Reference: X} = %s, want a mapping", cfn.Describe(got))
	}
	if got := decode(t, `{Ref: X, Other: Y}`); reflect.TypeOf(got) != reflect.TypeFor[map[string]any]() {
		t.Errorf("{Ref: X, Other: Y} = %s, want a mapping", cfn.Describe(got))
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"UnclosedFlow", "a: [b, c\n", "yaml:"},
		{"BadIndentation", "a:\n  b: 1\n c: 2\n", "yaml:"},
		{"TabIndentation", "a:\n\tb: 1\n", "yaml:"},
		{"DuplicateKey", "Resources:\n  A: 1\n  A: 2\n", `line 3: duplicate key "A"`},
		{"DuplicateKeyNested", "a:\n  b: !Sub\n    - x\n    - {k: 1, k: 2}\n", `duplicate key "k"`},
		{"UnknownTag", "a: !Sbu '${X}'\n", "line 1: unknown tag !Sbu"},
		{"Empty", "", "empty document"},
		{"CommentOnly", "# nothing\n", "empty document"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := cfn.Decode([]byte(c.src))
			if err == nil {
				t.Fatalf("Decode(%q) = %s, want an error", c.src, cfn.Describe(v))
			}
			if !strings.HasPrefix(err.Error(), "cfn: ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want cfn: …%s…", err, c.want)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	v := decode(t, `
Props:
  Bucket: !Ref MediaBucket
  Arn: !GetAtt Table.StreamArn
  Name: !Sub '${AWS::StackName}-media'
  Vars: !Sub ['${A}', {A: b}]
  Odd: !GetAtt [OnlyOne]
  Actions: s3:GetObject
  Many: [a, b]
`)
	p := cfn.Get(v, "Props")
	t.Run("Get", func(t *testing.T) {
		if got := cfn.Get(v, "Props", "Actions"); got != "s3:GetObject" {
			t.Errorf("Get(Props, Actions) = %s", cfn.Describe(got))
		}
		if got := cfn.Get(v, "Props", "Actions", "Deeper"); got != nil {
			t.Errorf("Get through a scalar = %s, want nil", cfn.Describe(got))
		}
		if got := cfn.Get(v, "Missing", "Key"); got != nil {
			t.Errorf("Get of a missing key = %s, want nil", cfn.Describe(got))
		}
		if got := cfn.Get(v); !reflect.DeepEqual(got, v) {
			t.Errorf("Get with no path is not the value itself")
		}
	})
	t.Run("Scalar", func(t *testing.T) {
		if got := cfn.Scalar(cfn.Get(p, "Actions")); got != "s3:GetObject" {
			t.Errorf("Scalar = %q", got)
		}
		for _, k := range []string{"Bucket", "Many", "Missing"} {
			if got := cfn.Scalar(cfn.Get(p, k)); got != "" {
				t.Errorf("Scalar(%s) = %q, want empty", k, got)
			}
		}
	})
	t.Run("List", func(t *testing.T) {
		if got := cfn.List(cfn.Get(p, "Actions")); !reflect.DeepEqual(got, []any{"s3:GetObject"}) {
			t.Errorf("List(one value) = %s", cfn.Describe(got))
		}
		if got := cfn.List(cfn.Get(p, "Many")); !reflect.DeepEqual(got, []any{"a", "b"}) {
			t.Errorf("List(list) = %s", cfn.Describe(got))
		}
		if got := cfn.List(cfn.Get(p, "Bucket")); !reflect.DeepEqual(got, []any{cfn.Ref("MediaBucket")}) {
			t.Errorf("List(intrinsic) = %s", cfn.Describe(got))
		}
		if got := cfn.List(nil); got != nil {
			t.Errorf("List(nil) = %s, want no values", cfn.Describe(got))
		}
	})
	t.Run("Ref", func(t *testing.T) {
		if name, ok := cfn.AsRef(cfn.Get(p, "Bucket")); !ok || name != "MediaBucket" {
			t.Errorf("AsRef = %q, %v", name, ok)
		}
		if !cfn.IsRef(cfn.Get(p, "Bucket"), "MediaBucket") || cfn.IsRef(cfn.Get(p, "Bucket"), "Other") {
			t.Error("IsRef does not compare the target")
		}
		for _, k := range []string{"Arn", "Actions", "Missing"} {
			if _, ok := cfn.AsRef(cfn.Get(p, k)); ok || cfn.IsRef(cfn.Get(p, k), "") {
				t.Errorf("%s reads as a Ref", k)
			}
		}
	})
	t.Run("GetAtt", func(t *testing.T) {
		if r, a, ok := cfn.AsGetAtt(cfn.Get(p, "Arn")); !ok || r != "Table" || a != "StreamArn" {
			t.Errorf("AsGetAtt = %q, %q, %v", r, a, ok)
		}
		for _, k := range []string{"Odd", "Bucket", "Actions"} {
			if r, a, ok := cfn.AsGetAtt(cfn.Get(p, k)); ok {
				t.Errorf("AsGetAtt(%s) = %q, %q, want not a GetAtt", k, r, a)
			}
		}
	})
	t.Run("Sub", func(t *testing.T) {
		if s, ok := cfn.AsSub(cfn.Get(p, "Name")); !ok || s != "${AWS::StackName}-media" {
			t.Errorf("AsSub(string form) = %q, %v", s, ok)
		}
		if s, ok := cfn.AsSub(cfn.Get(p, "Vars")); !ok || s != "${A}" {
			t.Errorf("AsSub(list form) = %q, %v", s, ok)
		}
		for _, v := range []any{cfn.Get(p, "Bucket"), "plain", cfn.Intrinsic{Fn: "Fn::Sub", Arg: []any{}}} {
			if s, ok := cfn.AsSub(v); ok {
				t.Errorf("AsSub(%s) = %q, want not a Sub", cfn.Describe(v), s)
			}
		}
	})
}

func TestReferences(t *testing.T) {
	v := decode(t, `
Policies:
  - Statement:
      - Resource: !GetAtt TracksTable.Arn
      - Resource: !Sub 'arn:${AWS::Partition}:s3:::${MediaBucket}/*'
      - Resource: !Sub '${Api.Arn}/${!Literal}/${Stage}'
      - Resource: !Sub ['${Own}/${Other}', {Own: !Ref Hidden}]
Env: {Queue: !Ref Queue, Plain: text}
`)
	got := cfn.References(v)
	slices.Sort(got)
	// Pseudo parameters, ${!Literal} and the variables a Sub defines are not references; what
	// those variables are set to is.
	want := []string{"Api", "Hidden", "MediaBucket", "Other", "Queue", "Stage", "TracksTable"}
	if !slices.Equal(got, want) {
		t.Errorf("References = %v, want %v", got, want)
	}
	if got := cfn.References("${NotASub}"); len(got) != 0 {
		t.Errorf("References of a plain string = %v, want none", got)
	}
}

func TestDescribe(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{"s3:GetObject", `"s3:GetObject"`},
		{nil, "null"},
		{cfn.Ref("X"), `!Ref "X"`},
		{cfn.GetAtt("T", "Arn"), `!GetAtt ["T", "Arn"]`},
		{cfn.Intrinsic{Fn: "Condition", Arg: "C"}, `!Condition "C"`},
		{[]any{"a", cfn.Sub("${X}")}, `["a", !Sub "${X}"]`},
		{map[string]any{"b": "2", "a": []any{}, "c": map[string]any{}}, `{"a": [], "b": "2", "c": {}}`},
		{
			cfn.Intrinsic{Fn: "Fn::If", Arg: []any{"HasWebAcl", cfn.Ref("WebAclArn"), cfn.Ref("AWS::NoValue")}},
			`!If ["HasWebAcl", !Ref "WebAclArn", !Ref "AWS::NoValue"]`,
		},
		// A name without a short form keeps its long form.
		{cfn.Intrinsic{Fn: "Fn::Unknown", Arg: "x"}, `{"Fn::Unknown": "x"}`},
		// Values outside the model: JSON where possible.
		{3, "3"},
		{map[string]string{"k": "v"}, `{"k":"v"}`},
	}
	for _, c := range cases {
		if got := cfn.Describe(c.v); got != c.want {
			t.Errorf("Describe(%#v) = %s, want %s", c.v, got, c.want)
		}
	}
	if got := cfn.Ref("X").String(); got != `!Ref "X"` {
		t.Errorf("Intrinsic.String = %s", got)
	}
}

// Describe is used to compare values (IAM grants, conditions), so map order must not show.
func TestDescribeIsDeterministic(t *testing.T) {
	v := decode(t, `{z: 1, y: {b: !Ref B, a: [!GetAtt A.Arn]}, x: 3, w: 4, v: 5, u: 6, t: 7, s: 8, r: 9}`)
	want := `{"r": "9", "s": "8", "t": "7", "u": "6", "v": "5", "w": "4", "x": "3", "y": {"a": [!GetAtt ["A", "Arn"]], "b": !Ref "B"}, "z": "1"}`
	for range 50 {
		if got := cfn.Describe(v); got != want {
			t.Fatalf("Describe = %s, want %s", got, want)
		}
	}
}

// Values that differ render differently, or comparing their renderings would hide a difference.
func TestDescribeDistinguishes(t *testing.T) {
	values := []any{
		"!Ref X", cfn.Ref("X"), []any{"X"}, map[string]any{"Ref": "X", "k": "v"},
		cfn.Intrinsic{Fn: "Fn::Ref", Arg: "X"}, cfn.Sub("X"), cfn.Intrinsic{Fn: "Fn::Sub", Arg: []any{"X"}},
		"null", nil, "[a b]", []any{"a", "b"}, []any{"a, b"}, "a", `"a"`,
	}
	seen := map[string]any{}
	for _, v := range values {
		d := cfn.Describe(v)
		if prev, dup := seen[d]; dup {
			t.Errorf("%#v and %#v both render as %s", prev, v, d)
		}
		seen[d] = v
	}
}
