package soundtime_test

// `make deploy`, run for real (not make -n) in a copy of the repository's Makefile, samconfig.toml,
// template.yaml and scripts/, with a fake `sam` and a fake `aws` first on PATH. Both are this test
// binary (TestMain) behind two small scripts: they record every call and keep a little world in
// a JSON file, stacks with their parameters and outputs and the site bucket's objects, that
// behaves as the real tools do where make deploy depends on it:
//
//   - sam deploy reads samconfig.toml's parameter_overrides unless --parameter-overrides is
//     given, which replaces them whole (the last value of a key wins); a parameter with no value
//     keeps the stack's previous one, or takes its Default on a new stack (samcli's
//     merge_parameters); values must satisfy AllowedPattern and AllowedValues;
//   - --guided asks for every parameter (its default: the saved override, else the template's
//     Default) and saves the stack name, region and all the answers in samconfig.toml;
//   - a deploy that changes nothing fails ("No changes to deploy") unless
//     --no-fail-on-empty-changeset;
//   - the outputs are the template's: SiteUrl is https://<DomainName> or the distribution's
//     name, PublicBaseUrl the parameter, else https://<DomainName>, else the placeholder
//     (TestTemplatePublicBaseUrl holds the template to exactly these expressions);
//   - aws s3 cp --recursive applies --exclude/--include in order, as fnmatch patterns on the
//     path below the source folder, and needs the region of the stack's bucket.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
)

const (
	fakeToolEnv  = "SOUNDTIME_FAKE_TOOL"
	fakeStateEnv = "SOUNDTIME_FAKE_STATE"
	// The region `aws configure get region` answers, if set.
	fakeProfileRegionEnv = "SOUNDTIME_FAKE_PROFILE_REGION"
)

func TestMain(m *testing.M) {
	if tool := os.Getenv(fakeToolEnv); tool != "" {
		os.Exit(runFakeTool(tool, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeWorld is what the fake tools remember between calls.
type fakeWorld struct {
	Calls   [][]string            // every call: the tool, then its arguments
	Stacks  map[string]*fakeStack // by "region/name"
	Uploads []fakeUpload
}

type fakeStack struct {
	Name, Region string
	Status       string
	Params       map[string]string
	Distribution string // its domain name, d….cloudfront.net
	Deploys      int    // change sets executed
}

type fakeUpload struct{ Bucket, Key, CacheControl, Region string }

func (s *fakeStack) outputs() map[string]string {
	site := "https://" + s.Distribution
	public := s.Params["PublicBaseUrl"]
	if d := s.Params["DomainName"]; d != "" {
		site = "https://" + d
		if public == "" {
			public = site
		}
	}
	if public == "" {
		public = placeholderOrigin
	}
	return map[string]string{
		"SiteUrl":        site,
		"PublicBaseUrl":  public,
		"SiteBucketName": s.Name + "-sitebucket-1x2y3z",
		"DashboardUrl":   "https://" + s.Region + ".console.aws.amazon.com/cloudwatch/home?region=" + s.Region + "#dashboards/dashboard/" + s.Name,
	}
}

func loadWorld() (*fakeWorld, error) {
	w := &fakeWorld{Stacks: map[string]*fakeStack{}}
	raw, err := os.ReadFile(os.Getenv(fakeStateEnv))
	if errors.Is(err, fs.ErrNotExist) {
		return w, nil
	}
	if err != nil {
		return nil, err
	}
	return w, json.Unmarshal(raw, w)
}

func (w *fakeWorld) save() error {
	raw, err := json.MarshalIndent(w, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(os.Getenv(fakeStateEnv), raw, 0o644)
}

// runFakeTool is the fake sam or aws: it records the call, acts on the world and returns the
// exit status.
func runFakeTool(tool string, args []string) int {
	w, err := loadWorld()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake:", err)
		return 99
	}
	w.Calls = append(w.Calls, append([]string{tool}, args...))
	var status int
	switch tool {
	case "sam":
		status = fakeSam(w, args)
	case "aws":
		status = fakeAWS(w, args)
	default:
		fmt.Fprintln(os.Stderr, "fake: no tool", tool)
		status = 99
	}
	if err := w.save(); err != nil {
		fmt.Fprintln(os.Stderr, "fake:", err)
		return 99
	}
	return status
}

// flagValues parses --name value flags; a name in multi takes every argument up to the next
// --flag; a name in bools takes none.
func flagValues(args []string, bools, multi []string) (map[string][]string, error) {
	out := map[string][]string{}
	for i := 0; i < len(args); i++ {
		name, ok := strings.CutPrefix(args[i], "--")
		if !ok {
			return nil, fmt.Errorf("unexpected argument %q", args[i])
		}
		switch {
		case slices.Contains(bools, name):
			out[name] = append(out[name], "true")
		case slices.Contains(multi, name):
			for i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
				i++
				out[name] = append(out[name], args[i])
			}
		default:
			if i+1 >= len(args) {
				return nil, fmt.Errorf("--%s needs a value", name)
			}
			i++
			out[name] = append(out[name], args[i])
		}
	}
	return out, nil
}

func fakeSam(w *fakeWorld, args []string) int {
	if len(args) == 0 {
		return 2
	}
	switch args[0] {
	case "build":
		// Building is make lambdas' business (template_build_test.go); the recipe's arguments
		// are checked by the test.
		return 0
	case "deploy":
	default:
		fmt.Fprintln(os.Stderr, "fake sam: unsupported command", args[0])
		return 2
	}
	f, err := flagValues(args[1:], []string{"guided", "no-fail-on-empty-changeset"}, []string{"parameter-overrides"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake sam deploy:", err)
		return 2
	}
	one := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[len(v)-1]
		}
		return ""
	}
	env, name, region := one("config-env"), one("stack-name"), one("region")
	if env == "" {
		env = "default"
	}
	if name == "" || region == "" {
		// make deploy always names both: sam would fall back to samconfig.toml's.
		fmt.Fprintln(os.Stderr, "fake sam deploy: no --stack-name or --region")
		return 2
	}
	tp, err := cfn.Load(templatePath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake sam:", err)
		return 1
	}
	raw, err := os.ReadFile(samconfigPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake sam:", err)
		return 1
	}
	config := string(raw)
	section := env + ".deploy.parameters"
	overrides := parseOverrides(tomlString(tomlSection(config, section), "parameter_overrides"))
	if v, given := f["parameter-overrides"]; given {
		overrides = map[string]string{}
		for _, s := range v {
			for k, val := range parseOverrides(s) {
				overrides[k] = val
			}
		}
	}
	if one("guided") == "true" {
		// Every parameter is asked, the answer defaulting to the override, else the Default;
		// the answers are saved, as one string of Key="value" pairs.
		answers := map[string]string{}
		var pairs []string
		for _, p := range slices.Sorted(mapKeys(tp.Get("Parameters"))) {
			v, ok := overrides[p]
			if !ok {
				v = cfn.Scalar(cfn.Get(tp.Parameter(p), "Default"))
			}
			answers[p] = v
			pairs = append(pairs, p+`="`+strings.ReplaceAll(v, `"`, `\"`)+`"`)
		}
		overrides = answers
		for k, v := range map[string]string{"stack_name": name, "region": region, "s3_prefix": name, "parameter_overrides": strings.Join(pairs, " ")} {
			config = setTomlString(config, section, k, v)
		}
		config = setTomlString(config, env+".global.parameters", "region", region)
		if err := os.WriteFile(samconfigPath, []byte(config), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "fake sam:", err)
			return 1
		}
	}

	key := region + "/" + name
	stack := w.Stacks[key]
	params := map[string]string{}
	for p := range mapKeys(tp.Get("Parameters")) {
		decl := tp.Parameter(p)
		v, ok := overrides[p]
		switch {
		case ok:
		case stack != nil:
			v = stack.Params[p]
		default:
			v = cfn.Scalar(cfn.Get(decl, "Default"))
		}
		if pat := cfn.Scalar(cfn.Get(decl, "AllowedPattern")); pat != "" && !regexp.MustCompile("^(?:"+pat+")$").MatchString(v) {
			fmt.Fprintf(os.Stderr, "Error: Parameter '%s' must match pattern %s (got %q)\n", p, pat, v)
			return 1
		}
		if allowed := cfn.List(cfn.Get(decl, "AllowedValues")); allowed != nil && !slices.Contains(allowed, any(v)) {
			fmt.Fprintf(os.Stderr, "Error: Parameter '%s' must be one of AllowedValues (got %q)\n", p, v)
			return 1
		}
		params[p] = v
	}
	if stack != nil && maps.Equal(stack.Params, params) {
		if one("no-fail-on-empty-changeset") == "true" {
			fmt.Println("No changes to deploy. Stack", name, "is up to date")
			return 0
		}
		fmt.Fprintf(os.Stderr, "Error: No changes to deploy. Stack %s is up to date\n", name)
		return 1
	}
	if stack == nil {
		stack = &fakeStack{Name: name, Region: region, Status: "CREATE_COMPLETE", Distribution: "d" + strings.ReplaceAll(name, "-", "") + "1abc.cloudfront.net"}
		w.Stacks[key] = stack
	} else {
		stack.Status = "UPDATE_COMPLETE"
	}
	stack.Params = params
	stack.Deploys++
	fmt.Printf("Successfully created/updated stack - %s in %s\n", name, region)
	return 0
}

// mapKeys returns the keys of a mapping of the value model (the template's Parameters).
func mapKeys(v any) iter.Seq[string] {
	m, _ := v.(map[string]any)
	return maps.Keys(m)
}

var describeOutput = regexp.MustCompile(`^Stacks\[0\]\.Outputs\[\?OutputKey=='(\w+)'\]\.OutputValue$`)

func fakeAWS(w *fakeWorld, args []string) int {
	switch {
	case len(args) == 3 && args[0] == "configure" && args[1] == "get" && args[2] == "region":
		if r := os.Getenv(fakeProfileRegionEnv); r != "" {
			fmt.Println(r)
			return 0
		}
		return 1
	case len(args) >= 2 && args[0] == "cloudformation" && args[1] == "describe-stacks":
		f, err := flagValues(args[2:], nil, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fake aws:", err)
			return 252
		}
		region, name := strings.Join(f["region"], ""), strings.Join(f["stack-name"], "")
		if region == "" {
			fmt.Fprintln(os.Stderr, "You must specify a region.")
			return 253
		}
		if strings.Join(f["output"], "") != "text" {
			fmt.Fprintln(os.Stderr, "fake aws: want --output text")
			return 252
		}
		stack := w.Stacks[region+"/"+name]
		if stack == nil {
			fmt.Fprintf(os.Stderr, "\nAn error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id %s does not exist\n", name)
			return 254
		}
		q := strings.Join(f["query"], "")
		if q == "Stacks[0].StackStatus" {
			fmt.Println(stack.Status)
			return 0
		}
		m := describeOutput.FindStringSubmatch(q)
		if m == nil {
			fmt.Fprintln(os.Stderr, "fake aws: unsupported query", q)
			return 252
		}
		v, ok := stack.outputs()[m[1]]
		if !ok {
			v = "None"
		}
		fmt.Println(v)
		return 0
	case len(args) >= 3 && args[0] == "s3" && args[1] == "cp":
		return fakeS3Copy(w, args[2], args[3], args[4:])
	}
	fmt.Fprintln(os.Stderr, "fake aws: unsupported call", args)
	return 252
}

// fakeS3Copy uploads a folder, --recursive, as aws s3 cp does: every file whose path below the
// source passes the --exclude/--include filters in order (the last that matches decides;
// patterns are fnmatch's, where * crosses /).
func fakeS3Copy(w *fakeWorld, src, dst string, args []string) int {
	var filters [][2]string
	var cacheControl, region string
	recursive := false
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--recursive":
			recursive = true
		case "--exclude", "--include", "--cache-control", "--region":
			if i+1 >= len(args) {
				return 252
			}
			switch args[i] {
			case "--cache-control":
				cacheControl = args[i+1]
			case "--region":
				region = args[i+1]
			default:
				filters = append(filters, [2]string{args[i], args[i+1]})
			}
			i++
		default:
			fmt.Fprintln(os.Stderr, "fake aws s3 cp: unsupported", args[i])
			return 252
		}
	}
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(dst, "s3://"), "/")
	if !recursive || !strings.HasPrefix(dst, "s3://") {
		fmt.Fprintln(os.Stderr, "fake aws s3 cp: want a folder, --recursive, to s3://bucket[/prefix]")
		return 252
	}
	owner := ""
	for _, s := range w.Stacks {
		if s.outputs()["SiteBucketName"] == bucket {
			owner = s.Region
		}
	}
	if owner == "" || region != owner {
		fmt.Fprintf(os.Stderr, "upload failed: bucket %s is not in region %q\n", bucket, region)
		return 1
	}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		rel = filepath.ToSlash(rel)
		included := true
		for _, f := range filters {
			if fnmatch(f[1], rel) {
				included = f[0] == "--include"
			}
		}
		if included {
			key := strings.TrimPrefix(strings.TrimSuffix(prefix, "/")+"/"+rel, "/")
			w.Uploads = append(w.Uploads, fakeUpload{Bucket: bucket, Key: key, CacheControl: cacheControl, Region: region})
		}
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake aws s3 cp:", err)
		return 1
	}
	return 0
}

// fnmatch is Python's fnmatch (* and ? match any character, / included), enough for the
// Makefile's patterns.
func fnmatch(pattern, name string) bool {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()).MatchString(name)
}

var overridePair = regexp.MustCompile(`([A-Za-z0-9]+)=("(?:[^"\\]|\\.)*"|[^ "]*)`)

// parseOverrides reads Key=value and Key="value" pairs, as sam does.
func parseOverrides(s string) map[string]string {
	out := map[string]string{}
	for _, m := range overridePair.FindAllStringSubmatch(s, -1) {
		v := m[2]
		if strings.HasPrefix(v, `"`) {
			v = strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
		}
		out[m[1]] = v
	}
	return out
}

// tomlString returns the value of `key = "…"` among a section's lines, unescaped.
func tomlString(section, key string) string {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s*=\s*"((?:[^"\\]|\\.)*)"\s*$`).FindStringSubmatch(section)
	if m == nil {
		return ""
	}
	return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(m[1])
}

// setTomlString sets key = "value" in [section], as sam's config writer does.
func setTomlString(src, section, key, value string) string {
	line := key + ` = "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(value) + `"`
	header := "\n[" + section + "]\n"
	before, after, ok := strings.Cut(src, header)
	if !ok {
		return strings.TrimRight(src, "\n") + "\n" + header + line + "\n"
	}
	body, rest := after, ""
	if i := strings.Index(after, "\n["); i >= 0 {
		body, rest = after[:i+1], after[i+1:]
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `\s*=.*$`)
	if re.MatchString(body) {
		body = re.ReplaceAllLiteralString(body, line)
	} else {
		body = strings.TrimRight(body, "\n") + "\n" + line + "\n"
		if strings.TrimSpace(strings.TrimSuffix(body, line+"\n")) == "" {
			body = line + "\n"
		}
	}
	if rest != "" && !strings.HasSuffix(body, "\n\n") {
		body += "\n"
	}
	return before + header + body + rest
}

// deployRig is a copy of what make deploy reads, the fake tools on PATH, and a prebuilt web app.
type deployRig struct {
	dir, site, state string
	env              []string
}

// The prebuilt web app: Vite's hashed chunks, the stable entries the Go pages name, the stats
// page (stats.html, which CloudFront serves at /stats) with its chart chunk, and spa/public's
// files.
var siteFiles = map[string]string{
	"index.html":                   "no-cache",
	"stats.html":                   "no-cache",
	"favicon.svg":                  "no-cache",
	"robots.txt":                   "no-cache",
	"assets/track.js":              "no-cache",
	"assets/embed.js":              "no-cache",
	"assets/stats.js":              "no-cache",
	"assets/app.css":               "no-cache",
	"assets/uplot-e373440b.js":     "public, max-age=31536000, immutable",
	"assets/index-B1a2c3D_.js":     "public, max-age=31536000, immutable",
	"assets/hls.light-Cq9-x0Zz.js": "public, max-age=31536000, immutable",
	"assets/index-0123abcd.css":    "public, max-age=31536000, immutable",
}

func newDeployRig(t *testing.T) *deployRig {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{makefilePath, samconfigPath, templatePath, "layers/ffmpeg/pins.mk", "scripts/deploy-stack.sh", "e2e/gotosocial/go.mod", "e2e/gotosocial/go.sum"} {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(f)
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), raw, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	site := filepath.Join(dir, "prebuilt-site")
	for f := range siteFiles {
		p := filepath.Join(site, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "fakebin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"sam", "aws"} {
		script := fmt.Sprintf("#!/bin/sh\n%s=%s exec '%s' \"$@\"\n", fakeToolEnv, tool, exe)
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing of the caller's make, AWS or deploy settings may leak in.
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "MAKE") || k == "MFLAGS" || k == "PATH" ||
			slices.Contains([]string{"STACK", "REGION", "CONFIG_ENV", "GUIDED", "SITE_DIR", fakeProfileRegionEnv}, k) {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), fakeStateEnv+"="+filepath.Join(dir, "fake-world.json"))
	return &deployRig{dir: dir, site: site, state: filepath.Join(dir, "fake-world.json"), env: env}
}

// seed puts a stack in the fake world, as an earlier deploy would have left it.
func (r *deployRig) seed(t *testing.T, s fakeStack) {
	t.Helper()
	w := r.world(t)
	if s.Status == "" {
		s.Status = "UPDATE_COMPLETE"
	}
	if s.Distribution == "" {
		s.Distribution = "d" + strings.ReplaceAll(s.Name, "-", "") + "1abc.cloudfront.net"
	}
	if s.Params == nil {
		s.Params = map[string]string{}
	}
	tp := loadTemplate(t)
	for p := range mapKeys(tp.Get("Parameters")) {
		if _, ok := s.Params[p]; !ok {
			s.Params[p] = cfn.Scalar(cfn.Get(tp.Parameter(p), "Default"))
		}
	}
	w.Stacks[s.Region+"/"+s.Name] = &s
	raw, _ := json.Marshal(w)
	if err := os.WriteFile(r.state, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func (r *deployRig) world(t *testing.T) *fakeWorld {
	t.Helper()
	t.Setenv(fakeStateEnv, r.state)
	w, err := loadWorld()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// run runs `make deploy` with the arguments and extra environment, and returns its output and the
// calls it made.
func (r *deployRig) run(t *testing.T, env []string, args ...string) (string, [][]string, error) {
	t.Helper()
	before := len(r.world(t).Calls)
	cmd := exec.Command("make", append([]string{"--no-print-directory", "deploy", "SITE_DIR=" + r.site}, args...)...)
	cmd.Dir = r.dir
	cmd.Env = append(slices.Clone(r.env), env...)
	out, err := cmd.CombinedOutput()
	return string(out), r.world(t).Calls[before:], err
}

// deploys returns the sam deploy calls among calls.
func deploys(calls [][]string) [][]string {
	var out [][]string
	for _, c := range calls {
		if len(c) > 1 && c[0] == "sam" && c[1] == "deploy" {
			out = append(out, c)
		}
	}
	return out
}

// flagOf returns the value after --name in a call, or "".
func flagOf(call []string, name string) string {
	if i := slices.Index(call, "--"+name); i >= 0 && i+1 < len(call) {
		return call[i+1]
	}
	return ""
}

// overridesOf returns what a sam deploy call sets with --parameter-overrides, or nil.
func overridesOf(call []string) map[string]string {
	i := slices.Index(call, "--parameter-overrides")
	if i < 0 {
		return nil
	}
	out := map[string]string{}
	for _, a := range call[i+1:] {
		if strings.HasPrefix(a, "--") {
			break
		}
		for k, v := range parseOverrides(a) {
			out[k] = v
		}
	}
	return out
}

// checkCalls makes sure every call names the stack and the region, and that every sam call
// uses the config environment, with --no-fail-on-empty-changeset on each deploy.
func checkCalls(t *testing.T, calls [][]string, stack, region, env string) {
	t.Helper()
	for _, c := range calls {
		switch {
		case c[0] == "sam" && c[1] == "build":
			if flagOf(c, "config-env") != env || !slices.Contains(c, "--build-in-source") {
				t.Errorf("%v: want --config-env %s --build-in-source", c, env)
			}
		case c[0] == "sam" && c[1] == "deploy":
			if flagOf(c, "config-env") != env || flagOf(c, "stack-name") != stack || flagOf(c, "region") != region || !slices.Contains(c, "--no-fail-on-empty-changeset") {
				t.Errorf("%v: want --config-env %s --stack-name %s --region %s --no-fail-on-empty-changeset", c, env, stack, region)
			}
		case c[0] == "aws" && c[1] == "cloudformation":
			if flagOf(c, "stack-name") != stack || flagOf(c, "region") != region {
				t.Errorf("%v: want --stack-name %s --region %s", c, stack, region)
			}
		case c[0] == "aws" && c[1] == "s3":
			if flagOf(c, "region") != region {
				t.Errorf("%v: want --region %s", c, region)
			}
		case c[0] == "aws" && c[1] == "configure":
		default:
			t.Errorf("unexpected call %v", c)
		}
	}
}

// checkUploads makes sure that the last upload put every file of the web app in the stack's
// site bucket exactly once, with its cache header.
func checkUploads(t *testing.T, r *deployRig, stack *fakeStack, since int) {
	t.Helper()
	got := map[string][]string{}
	for _, u := range r.world(t).Uploads[since:] {
		if u.Bucket != stack.outputs()["SiteBucketName"] || u.Region != stack.Region {
			t.Errorf("uploaded %s to %s in %s, want %s's bucket %s in %s", u.Key, u.Bucket, u.Region, stack.Name, stack.outputs()["SiteBucketName"], stack.Region)
		}
		got[u.Key] = append(got[u.Key], u.CacheControl)
	}
	for f, want := range siteFiles {
		if len(got[f]) != 1 || got[f][0] != want {
			t.Errorf("%s uploaded with %q, want once with %q", f, got[f], want)
		}
	}
	if len(got) != len(siteFiles) {
		t.Errorf("uploaded %d files, want %d: %v", len(got), len(siteFiles), got)
	}
}

func TestMakefileDeploy(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed: the deploy recipes cannot be run")
	}

	// From an empty account with no custom domain: the guided deploy creates the stack with the
	// placeholder origin, make deploy deploys again with the distribution's, then uploads.
	// Later deploys keep that origin, change nothing and still upload; a change to the saved
	// overrides is applied without losing the origin.
	t.Run("FirstDeployThenAgain", func(t *testing.T) {
		r := newDeployRig(t)
		out, calls, err := r.run(t, []string{"AWS_REGION=eu-west-1"})
		if err != nil {
			t.Fatalf("make deploy: %v\n%s", err, out)
		}
		checkCalls(t, calls, "soundtime", "eu-west-1", "default")
		ds := deploys(calls)
		if len(ds) != 2 || !slices.Contains(ds[0], "--guided") || slices.Contains(ds[1], "--guided") {
			t.Fatalf("deploys = %v, want a guided one, then one more", ds)
		}
		stack := r.world(t).Stacks["eu-west-1/soundtime"]
		site := stack.outputs()["SiteUrl"]
		if !strings.HasSuffix(site, ".cloudfront.net") || stack.Params["PublicBaseUrl"] != site || stack.outputs()["PublicBaseUrl"] != site {
			t.Errorf("after the first make deploy: PublicBaseUrl %q, SiteUrl %q: want both the distribution's", stack.Params["PublicBaseUrl"], site)
		}
		if got := overridesOf(ds[1]); got["PublicBaseUrl"] != site || got["DeploymentType"] != "Canary10Percent5Minutes" {
			t.Errorf("second deploy's overrides = %v, want the saved ones and PublicBaseUrl=%s", got, site)
		}
		if calls[0][0] != "sam" || calls[0][1] != "build" {
			t.Errorf("first call %v, want sam build", calls[0])
		}
		checkUploads(t, r, stack, 0)
		if !strings.Contains(out, "Soundtime soundtime is at "+site) {
			t.Errorf("make deploy does not say where the site is:\n%s", out)
		}
		// The guided deploy saved the region: it now wins over the environment's.
		raw, _ := os.ReadFile(filepath.Join(r.dir, samconfigPath))
		if tomlString(tomlSection(string(raw), "default.deploy.parameters"), "region") != "eu-west-1" {
			t.Fatalf("samconfig.toml after the guided deploy:\n%s", raw)
		}

		uploads := len(r.world(t).Uploads)
		out, calls, err = r.run(t, []string{"AWS_REGION=ap-south-1"})
		if err != nil {
			t.Fatalf("make deploy with nothing changed: %v\n%s", err, out)
		}
		checkCalls(t, calls, "soundtime", "eu-west-1", "default")
		if ds := deploys(calls); len(ds) != 1 || overridesOf(ds[0])["PublicBaseUrl"] != site {
			t.Errorf("deploys = %v, want one, keeping PublicBaseUrl=%s", ds, site)
		}
		if stack := r.world(t).Stacks["eu-west-1/soundtime"]; stack.Deploys != 2 {
			t.Errorf("the stack was deployed %d times, want 2 (the last change set was empty)", stack.Deploys)
		}
		checkUploads(t, r, stack, uploads)

		// The operator edits the saved overrides: the change applies, the origin stays.
		cfg := filepath.Join(r.dir, samconfigPath)
		raw, _ = os.ReadFile(cfg)
		edited := strings.Replace(string(raw), `DeploymentType=\"Canary10Percent5Minutes\"`, `DeploymentType=\"AllAtOnce\"`, 1)
		if edited == string(raw) {
			t.Fatalf("no DeploymentType in the saved overrides:\n%s", raw)
		}
		if err := os.WriteFile(cfg, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, _, err = r.run(t, nil); err != nil {
			t.Fatalf("make deploy after editing samconfig.toml: %v\n%s", err, out)
		}
		stack = r.world(t).Stacks["eu-west-1/soundtime"]
		if stack.Params["DeploymentType"] != "AllAtOnce" || stack.Params["PublicBaseUrl"] != site || stack.Deploys != 3 {
			t.Errorf("after the edit: DeploymentType %q, PublicBaseUrl %q, %d deploys; want AllAtOnce, %s, 3", stack.Params["DeploymentType"], stack.Params["PublicBaseUrl"], stack.Deploys, site)
		}
	})

	// STACK=… deploys and uploads to that stack, in the same account where the default one
	// exists, and leaves the default one alone.
	t.Run("OtherStack", func(t *testing.T) {
		r := newDeployRig(t)
		r.seed(t, fakeStack{Name: "soundtime", Region: "eu-west-1"})
		out, calls, err := r.run(t, []string{"AWS_REGION=eu-west-1"}, "STACK=soundtime-test")
		if err != nil {
			t.Fatalf("make deploy STACK=soundtime-test: %v\n%s", err, out)
		}
		checkCalls(t, calls, "soundtime-test", "eu-west-1", "default")
		w := r.world(t)
		if w.Stacks["eu-west-1/soundtime"].Deploys != 0 {
			t.Error("the default stack was deployed")
		}
		checkUploads(t, r, w.Stacks["eu-west-1/soundtime-test"], 0)
	})

	// CONFIG_ENV=prod, as CI runs it (GUIDED=no), on an account without the stack: prod's saved
	// overrides apply to both deploys, the region comes from the AWS CLI's profile.
	t.Run("Prod", func(t *testing.T) {
		r := newDeployRig(t)
		out, calls, err := r.run(t, []string{fakeProfileRegionEnv + "=us-west-2"}, "CONFIG_ENV=prod", "GUIDED=no")
		if err != nil {
			t.Fatalf("make deploy CONFIG_ENV=prod: %v\n%s", err, out)
		}
		checkCalls(t, calls, "soundtime-prod", "us-west-2", "prod")
		if !slices.ContainsFunc(calls, func(c []string) bool { return slices.Equal(c, []string{"aws", "configure", "get", "region"}) }) {
			t.Error("the region did not come from aws configure get region")
		}
		ds := deploys(calls)
		if len(ds) != 2 || slices.Contains(ds[0], "--guided") || overridesOf(ds[0]) != nil {
			t.Errorf("deploys = %v, want a plain one (samconfig.toml's overrides), then one with PublicBaseUrl", ds)
		}
		stack := r.world(t).Stacks["us-west-2/soundtime-prod"]
		if stack.Params["DeploymentType"] != "Canary10Percent10Minutes" || stack.Params["PublicBaseUrl"] != stack.outputs()["SiteUrl"] {
			t.Errorf("prod stack parameters = %v", stack.Params)
		}
		checkUploads(t, r, stack, 0)
	})

	// With a custom domain the origin is known up front: one deploy.
	t.Run("CustomDomain", func(t *testing.T) {
		r := newDeployRig(t)
		cfg := filepath.Join(r.dir, samconfigPath)
		raw, _ := os.ReadFile(cfg)
		withDomain := setTomlString(string(raw), "default.deploy.parameters", "parameter_overrides",
			`DomainName="soundtime.example" CertificateArn="arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d"`)
		if err := os.WriteFile(cfg, []byte(withDomain), 0o644); err != nil {
			t.Fatal(err)
		}
		out, calls, err := r.run(t, nil, "REGION=eu-central-1")
		if err != nil {
			t.Fatalf("make deploy: %v\n%s", err, out)
		}
		checkCalls(t, calls, "soundtime", "eu-central-1", "default")
		if ds := deploys(calls); len(ds) != 1 {
			t.Errorf("deploys = %v, want one", ds)
		}
		stack := r.world(t).Stacks["eu-central-1/soundtime"]
		if o := stack.outputs(); o["PublicBaseUrl"] != "https://soundtime.example" || o["SiteUrl"] != "https://soundtime.example" {
			t.Errorf("outputs = %v", o)
		}
		checkUploads(t, r, stack, 0)
	})

	// An origin the operator chose is kept, whatever the site's.
	t.Run("ExplicitPublicBaseUrl", func(t *testing.T) {
		r := newDeployRig(t)
		r.seed(t, fakeStack{Name: "soundtime", Region: "eu-west-1", Params: map[string]string{"PublicBaseUrl": "https://cdn.example"}})
		cfg := filepath.Join(r.dir, samconfigPath)
		raw, _ := os.ReadFile(cfg)
		if err := os.WriteFile(cfg, []byte(setTomlString(string(raw), "default.deploy.parameters", "parameter_overrides", `PublicBaseUrl="https://cdn.example"`)), 0o644); err != nil {
			t.Fatal(err)
		}
		out, calls, err := r.run(t, []string{"AWS_REGION=eu-west-1"})
		if err != nil {
			t.Fatalf("make deploy: %v\n%s", err, out)
		}
		if ds := deploys(calls); len(ds) != 1 || overridesOf(ds[0]) != nil {
			t.Errorf("deploys = %v, want one with samconfig.toml's overrides", ds)
		}
		if got := r.world(t).Stacks["eu-west-1/soundtime"].Params["PublicBaseUrl"]; got != "https://cdn.example" {
			t.Errorf("PublicBaseUrl = %q, want the operator's", got)
		}
		if !strings.Contains(out, "links use PublicBaseUrl=https://cdn.example") {
			t.Errorf("make deploy does not say that links differ from the site:\n%s", out)
		}
	})

	// Failures that must stop make deploy before it deploys or uploads anything.
	t.Run("NoRegion", func(t *testing.T) {
		r := newDeployRig(t)
		out, calls, err := r.run(t, nil)
		if err == nil || !strings.Contains(out, "no AWS region") {
			t.Errorf("make deploy without a region: %v\n%s", err, out)
		}
		for _, c := range calls {
			if c[0] == "sam" || slices.Contains(c, "s3") {
				t.Errorf("call %v without a region", c)
			}
		}
	})
	t.Run("RolledBackStack", func(t *testing.T) {
		r := newDeployRig(t)
		r.seed(t, fakeStack{Name: "soundtime", Region: "eu-west-1", Status: "ROLLBACK_COMPLETE"})
		out, calls, err := r.run(t, []string{"AWS_REGION=eu-west-1"})
		if err == nil || !strings.Contains(out, "sam delete --stack-name soundtime --region eu-west-1") {
			t.Errorf("make deploy on a rolled-back stack: %v\n%s", err, out)
		}
		if ds := deploys(calls); len(ds) != 0 || len(r.world(t).Uploads) != 0 {
			t.Errorf("deploys %v, %d uploads: want none", ds, len(r.world(t).Uploads))
		}
	})
}
