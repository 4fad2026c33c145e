package soundtime_test

// The CloudFront distribution in front of the site and the API.

import (
	"encoding/json"
	"maps"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
	"github.com/soundtime/soundtime/pkg/httpapi"
)

// One origin for browsers: the distribution sends the API and the share pages to the HTTP API
// and everything else to the private site bucket, which only this distribution may read.
func TestTemplateDistribution(t *testing.T) {
	tp := loadTemplate(t)
	cfg := cfn.Get(tp.Properties("Distribution"), "DistributionConfig")
	origins := map[string]any{}
	for _, o := range cfn.List(cfn.Get(cfg, "Origins")) {
		origins[cfn.Scalar(cfn.Get(o, "Id"))] = o
	}
	if res, attr, ok := cfn.AsGetAtt(cfn.Get(origins["site"], "DomainName")); !ok || res != "SiteBucket" || attr != "RegionalDomainName" {
		t.Errorf("site origin = %v, want the site bucket", cfn.Get(origins["site"], "DomainName"))
	}
	if res, _, ok := cfn.AsGetAtt(cfn.Get(origins["site"], "OriginAccessControlId")); !ok || res != "SiteOriginAccessControl" {
		t.Errorf("site origin without Origin Access Control")
	}
	if s, _ := cfn.AsSub(cfn.Get(origins["api"], "DomainName")); !strings.HasPrefix(s, "${HttpApi}.execute-api.") {
		t.Errorf("api origin = %v, want the HTTP API", cfn.Get(origins["api"], "DomainName"))
	}
	if cfn.Scalar(cfn.Get(origins["api"], "CustomOriginConfig", "OriginProtocolPolicy")) != "https-only" {
		t.Error("api origin is not https-only")
	}
	if o := cfn.Scalar(cfn.Get(cfg, "DefaultCacheBehavior", "TargetOriginId")); o != notFoundGroup {
		t.Errorf("default behaviour goes to %q, want the origin group %s (the site, else the not-found page)", o, notFoundGroup)
	}
	const cachingDisabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	want := map[string]string{"/api/stats": "api", "/api/*": "api", "/healthz": "api", "/t/*": "api", "/s/*": "api", "/embed/*": "api", "/oembed": "api",
		"/.well-known/*": "api", "/ap/*": "api", "/nodeinfo/*": "api", "/stats": "site"}
	const allViewerExceptHost = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	got := map[string]bool{}
	for _, b := range cfn.List(cfn.Get(cfg, "CacheBehaviors")) {
		p := cfn.Scalar(cfn.Get(b, "PathPattern"))
		got[p] = true
		// CloudFront takes the first pattern that matches: /api/stats must come before /api/*.
		if p == "/api/*" && !got["/api/stats"] {
			t.Errorf("/api/* comes before /api/stats, whose cache policy it would shadow")
		}
		if o := cfn.Scalar(cfn.Get(b, "TargetOriginId")); o != want[p] {
			t.Errorf("%s goes to %q, want %q", p, o, want[p])
		}
		if vp := cfn.Scalar(cfn.Get(b, "ViewerProtocolPolicy")); vp == "allow-all" {
			t.Errorf("%s allows plain HTTP", p)
		}
		cache := cfn.Get(b, "CachePolicyId")
		switch p {
		case "/api/*", "/healthz":
			// Never cached: every API answer is per request (and the POST/PUT/DELETE methods pass).
			if cfn.Scalar(cache) != cachingDisabled {
				t.Errorf("%s cache policy = %v, want CachingDisabled", p, cache)
			}
		case "/stats":
			// A page of the site, served like the default behaviour serves the upload page.
			def := cfn.Get(cfg, "DefaultCacheBehavior")
			for _, k := range []string{"CachePolicyId", "ResponseHeadersPolicyId", "AllowedMethods", "ViewerProtocolPolicy"} {
				if cfn.Describe(cfn.Get(b, k)) != cfn.Describe(cfn.Get(def, k)) {
					t.Errorf("/stats %s = %s, want the site's %s", k, cfn.Describe(cfn.Get(b, k)), cfn.Describe(cfn.Get(def, k)))
				}
			}
		case "/.well-known/*", "/ap/*", "/nodeinfo/*":
			// Federation: never cached, and every viewer header reaches the API (the inbox
			// verifies Signature, Date and Digest; documents are negotiated on Accept).
			if cfn.Scalar(cache) != cachingDisabled {
				t.Errorf("%s cache policy = %v, want CachingDisabled", p, cache)
			}
			if cfn.Scalar(cfn.Get(b, "OriginRequestPolicyId")) != allViewerExceptHost {
				t.Errorf("%s origin request policy = %v, want AllViewerExceptHostHeader", p, cfn.Get(b, "OriginRequestPolicyId"))
			}
			if p == "/ap/*" && !slices.Contains(cfn.List(cfn.Get(b, "AllowedMethods")), any("POST")) {
				t.Errorf("/ap/* does not allow POST: the inbox")
			}
		default:
			// The pages honour the origin's Cache-Control, bounded.
			if !cfn.IsRef(cache, "PagesCachePolicy") {
				t.Errorf("%s cache policy = %v, want PagesCachePolicy", p, cache)
			}
		}
	}
	for p := range want {
		if !got[p] {
			t.Errorf("no behaviour for %s", p)
		}
	}
	pc := cfn.Get(tp.Properties("PagesCachePolicy"), "CachePolicyConfig")
	if max, err := strconv.Atoi(cfn.Scalar(cfn.Get(pc, "MaxTTL"))); err != nil || max <= 0 || max > 3600 {
		t.Errorf("pages MaxTTL = %v, want a few minutes at most", cfn.Get(pc, "MaxTTL"))
	}
	if cfn.Scalar(cfn.Get(pc, "DefaultTTL")) != "0" {
		t.Errorf("pages DefaultTTL = %v, want 0: a page without Cache-Control (processing) is not cached", cfn.Get(pc, "DefaultTTL"))
	}
	// A processing track's page says no-store: a MinTTL above 0 would cache it anyway, and a
	// crawler arriving once the track is ready would get the placeholder's page. The card link's
	// placeholder (max-age=60) and a ready card's redirect (max-age=300) must fit under MaxTTL.
	if cfn.Scalar(cfn.Get(pc, "MinTTL")) != "0" {
		t.Errorf("pages MinTTL = %v, want 0: no-store pages are not cached", cfn.Get(pc, "MinTTL"))
	}
	if max, _ := strconv.Atoi(cfn.Scalar(cfn.Get(pc, "MaxTTL"))); max < 300 {
		t.Errorf("pages MaxTTL = %v, want at least the card redirect's 300 s", cfn.Get(pc, "MaxTTL"))
	}
	// oEmbed's size limits change the answer: they are part of the cache key.
	qs := cfn.List(cfn.Get(pc, "ParametersInCacheKeyAndForwardedToOrigin", "QueryStringsConfig", "QueryStrings"))
	for _, p := range []string{"url", "format", "maxwidth", "maxheight"} {
		if !slices.Contains(qs, any(p)) {
			t.Errorf("pages cache key lacks the query parameter %s: %v", p, qs)
		}
	}

	// The site bucket: private, read only by this distribution.
	sb := tp.Properties("SiteBucket")
	for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
		if cfn.Scalar(cfn.Get(sb, "PublicAccessBlockConfiguration", k)) != "true" {
			t.Errorf("site bucket %s is not true", k)
		}
	}
	var allows int
	for _, st := range cfn.List(cfn.Get(tp.Properties("SiteBucketPolicy"), "PolicyDocument", "Statement")) {
		if cfn.Scalar(cfn.Get(st, "Effect")) != "Allow" {
			continue
		}
		allows++
		arn, _ := cfn.AsSub(cfn.Get(st, "Condition", "StringEquals", "AWS:SourceArn"))
		if cfn.Scalar(cfn.Get(st, "Principal", "Service")) != "cloudfront.amazonaws.com" || cfn.Scalar(cfn.Get(st, "Action")) != "s3:GetObject" ||
			!strings.HasSuffix(arn, ":distribution/${Distribution}") {
			t.Errorf("site bucket grant %v: want s3:GetObject for this distribution only", st)
		}
	}
	if allows != 1 {
		t.Errorf("site bucket policy has %d grants, want 1", allows)
	}
}

const notFoundGroup = "site-or-not-found"

// A mistyped address gets the app's not-found page, not S3's XML: the default behaviour's origin
// group tries the site bucket first and, when it answers 403 (a missing key under Origin Access
// Control) or 404, the API, whose catch-all GET route is the track function's HTML 404
// (httpapi.NotFound, tested in pkg/httpapi). The API's own errors keep their JSON: no behaviour
// of the API uses the group, and the distribution has no custom error responses, which would
// apply to every behaviour.
func TestTemplateNotFoundFailover(t *testing.T) {
	tp := loadTemplate(t)
	cfg := cfn.Get(tp.Properties("Distribution"), "DistributionConfig")
	groups := cfn.List(cfn.Get(cfg, "OriginGroups", "Items"))
	if len(groups) != 1 || cfn.Scalar(cfn.Get(cfg, "OriginGroups", "Quantity")) != "1" {
		t.Fatalf("OriginGroups = %s, want the one group %s", cfn.Describe(cfn.Get(cfg, "OriginGroups")), notFoundGroup)
	}
	g := groups[0]
	if cfn.Scalar(cfn.Get(g, "Id")) != notFoundGroup {
		t.Errorf("origin group id = %v, want %s", cfn.Get(g, "Id"), notFoundGroup)
	}
	var members []string
	for _, m := range cfn.List(cfn.Get(g, "Members", "Items")) {
		members = append(members, cfn.Scalar(cfn.Get(m, "OriginId")))
	}
	if !slices.Equal(members, []string{"site", "api"}) || cfn.Scalar(cfn.Get(g, "Members", "Quantity")) != "2" {
		t.Errorf("origin group members = %v, want [site api]: the site first", members)
	}
	var codes []string
	for _, c := range cfn.List(cfn.Get(g, "FailoverCriteria", "StatusCodes", "Items")) {
		codes = append(codes, cfn.Scalar(c))
	}
	// 403 is what S3 answers for a missing key without s3:ListBucket; a 5xx of the bucket must
	// not send every page to the API.
	if !slices.Equal(codes, []string{"403", "404"}) || cfn.Scalar(cfn.Get(g, "FailoverCriteria", "StatusCodes", "Quantity")) != "2" {
		t.Errorf("failover status codes = %v, want [403 404]", codes)
	}
	if cfn.Get(cfg, "CustomErrorResponses") != nil {
		t.Errorf("CustomErrorResponses = %s: they would turn the API's JSON errors into pages", cfn.Describe(cfn.Get(cfg, "CustomErrorResponses")))
	}
	// Origin failover works only for GET, HEAD and OPTIONS; the behaviour takes GET and HEAD.
	for _, m := range cfn.List(cfn.Get(cfg, "DefaultCacheBehavior", "AllowedMethods")) {
		if s := cfn.Scalar(m); s != "GET" && s != "HEAD" {
			t.Errorf("default behaviour allows %s: an origin group takes GET and HEAD only", s)
		}
	}
	for _, b := range cfn.List(cfn.Get(cfg, "CacheBehaviors")) {
		if o := cfn.Scalar(cfn.Get(b, "TargetOriginId")); o == notFoundGroup {
			t.Errorf("%s uses the origin group: only the site's default behaviour may", cfn.Scalar(cfn.Get(b, "PathPattern")))
		}
	}
	// The API's catch-all is a GET route of the pages function, the one that serves the page.
	r, ok := routes(t, tp)["GET /{proxy+}"]
	if !ok || r.Function != "PagesFunction" {
		t.Errorf("GET /{proxy+} = %+v, want a route of PagesFunction", r)
	}
}

// The API's viewer-request function, run under Node.js exactly as written in the template
// (CloudFront Functions are a JavaScript subset; this code uses only what both have): v1 paths
// lower-cased, and the viewer's address in x-viewer-address whatever the viewer sent.
func TestTemplateApiRequestFunction(t *testing.T) {
	tp := loadTemplate(t)
	code := cfn.Scalar(tp.Properties("ApiRequestFunction")["FunctionCode"])
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
	for _, b := range cfn.List(cfn.Get(tp.Properties("Distribution"), "DistributionConfig", "CacheBehaviors")) {
		for _, fa := range cfn.List(cfn.Get(b, "FunctionAssociations")) {
			res, _, _ := cfn.AsGetAtt(cfn.Get(fa, "FunctionARN"))
			if res == "ApiRequestFunction" {
				associated = cfn.Scalar(cfn.Get(b, "PathPattern")) == "/api/*" && cfn.Scalar(cfn.Get(fa, "EventType")) == "viewer-request"
			}
		}
	}
	if !associated {
		t.Error("ApiRequestFunction is not the viewer-request function of /api/*")
	}
}

// The site's pages function, run under Node.js as written in the template: /stats is the
// stats page's file, stats.html, as under make dev (httpapi.Site); nothing else changes, and it
// runs on the /stats behaviour only.
func TestTemplateSitePagesFunction(t *testing.T) {
	tp := loadTemplate(t)
	code := cfn.Scalar(tp.Properties("SitePagesFunction")["FunctionCode"])
	if code == "" {
		t.Fatal("SitePagesFunction has no FunctionCode")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to run the CloudFront function: %v", err)
	}
	cases := map[string]string{
		"/stats":           "/stats.html",
		"/stats.html":      "/stats.html",
		"/stats/":          "/stats/",
		"/Stats":           "/Stats",
		"/":                "/",
		"/assets/stats.js": "/assets/stats.js",
	}
	in, _ := json.Marshal(slices.Collect(maps.Keys(cases)))
	script := code + `
const uris = JSON.parse(process.argv[1]);
const out = {};
for (const uri of uris) out[uri] = handler({viewer: {ip: '198.51.100.7'}, request: {uri, method: 'GET', querystring: {}, headers: {}}}).uri;
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
	var on []string
	for _, b := range cfn.List(cfn.Get(tp.Properties("Distribution"), "DistributionConfig", "CacheBehaviors")) {
		for _, fa := range cfn.List(cfn.Get(b, "FunctionAssociations")) {
			if res, _, _ := cfn.AsGetAtt(cfn.Get(fa, "FunctionARN")); res == "SitePagesFunction" {
				on = append(on, cfn.Scalar(cfn.Get(b, "PathPattern"))+" "+cfn.Scalar(cfn.Get(fa, "EventType")))
			}
		}
	}
	if len(on) != 1 || on[0] != "/stats viewer-request" {
		t.Errorf("SitePagesFunction runs on %v, want the viewer requests of /stats only", on)
	}
}

// The site's files get, from CloudFront, what httpapi.Site sends under make dev: the upload page
// refuses framing (X-Frame-Options too), and every file may be read from any origin without
// credentials (the embed's module scripts, fetched in CORS mode from a sandboxed link card). The
// embed itself, from the API, gets no response headers policy: it must stay framable.
func TestTemplateSiteHeaders(t *testing.T) {
	tp := loadTemplate(t)
	cfg := cfn.Get(tp.Properties("SiteHeadersPolicy"), "ResponseHeadersPolicyConfig")
	fo := cfn.Get(cfg, "SecurityHeadersConfig", "FrameOptions")
	if cfn.Scalar(cfn.Get(fo, "FrameOption")) != "DENY" || cfn.Scalar(cfn.Get(fo, "Override")) != "true" {
		t.Errorf("FrameOptions = %s, want DENY, overriding", cfn.Describe(fo))
	}
	cors := cfn.Get(cfg, "CorsConfig")
	if cfn.Scalar(cfn.Get(cors, "AccessControlAllowCredentials")) != "false" {
		t.Errorf("AccessControlAllowCredentials = %v, want false", cfn.Get(cors, "AccessControlAllowCredentials"))
	}
	if o := cfn.List(cfn.Get(cors, "AccessControlAllowOrigins", "Items")); len(o) != 1 || cfn.Scalar(o[0]) != "*" {
		t.Errorf("AccessControlAllowOrigins = %s, want ['*']", cfn.Describe(o))
	}
	for _, m := range cfn.List(cfn.Get(cors, "AccessControlAllowMethods", "Items")) {
		if cfn.Scalar(m) != "GET" && cfn.Scalar(m) != "HEAD" {
			t.Errorf("AccessControlAllowMethods has %v, want GET and HEAD only", m)
		}
	}
	if cfn.Scalar(cfn.Get(cors, "OriginOverride")) != "true" {
		t.Errorf("OriginOverride = %v, want true", cfn.Get(cors, "OriginOverride"))
	}
	dist := cfn.Get(tp.Properties("Distribution"), "DistributionConfig")
	if !cfn.IsRef(cfn.Get(dist, "DefaultCacheBehavior", "ResponseHeadersPolicyId"), "SiteHeadersPolicy") {
		t.Error("the site's behaviour does not use SiteHeadersPolicy")
	}
	for _, b := range cfn.List(cfn.Get(dist, "CacheBehaviors")) {
		if p := cfn.Scalar(cfn.Get(b, "PathPattern")); p == "/embed/*" && cfn.Get(b, "ResponseHeadersPolicyId") != nil {
			t.Errorf("/embed/* has a response headers policy %v: the embed must stay framable", cfn.Get(b, "ResponseHeadersPolicyId"))
		}
	}
}

// The upload page's CSP comes from CloudFront in AWS and from httpapi.Server.CSP under make dev:
// they must be the same policy, with the media bucket's endpoint as the media origin.
func TestTemplateSiteCSP(t *testing.T) {
	tp := loadTemplate(t)
	got, ok := cfn.AsSub(cfn.Get(tp.Properties("SiteHeadersPolicy"), "ResponseHeadersPolicyConfig", "SecurityHeadersConfig", "ContentSecurityPolicy", "ContentSecurityPolicy"))
	if !ok {
		t.Fatal("SiteHeadersPolicy has no !Sub Content-Security-Policy")
	}
	srv := httpapi.Server{MediaOrigin: "https://" + bucketNameSub + ".s3.${AWS::Region}.${AWS::URLSuffix}"}
	if want := srv.CSP("'none'"); got != want {
		t.Errorf("site CSP in the template:\n  %s\nthe server's:\n  %s", got, want)
	}
	// The upload page hashes with WebAssembly (hash-wasm in a worker, which CloudFront serves
	// with this policy too): both policies allow compiling it, and neither allows eval.
	for _, csp := range []string{got, srv.CSP("'none'")} {
		if !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval';") || strings.Contains(csp, "'unsafe-eval'") {
			t.Errorf("CSP %q: want script-src 'self' 'wasm-unsafe-eval' and no 'unsafe-eval'", csp)
		}
	}
}

// The API serves only what came through the distribution, and limits uploads per viewer across
// instances: CloudFront's custom header on the API origin carries the generated secret that
// every function behind the API checks, and the upload function counts in the limits table.
func TestTemplateOriginVerify(t *testing.T) {
	tp := loadTemplate(t)
	const ref = "{{resolve:secretsmanager:${OriginVerifySecret}:SecretString}}"
	var headers []any
	for _, o := range cfn.List(cfn.Get(tp.Properties("Distribution"), "DistributionConfig", "Origins")) {
		if cfn.Scalar(cfn.Get(o, "Id")) == "api" {
			headers = cfn.List(cfn.Get(o, "OriginCustomHeaders"))
		}
	}
	if len(headers) != 1 || cfn.Scalar(cfn.Get(headers[0], "HeaderName")) != httpapi.OriginVerifyHeader {
		t.Fatalf("api origin custom headers = %s, want %s", cfn.Describe(headers), httpapi.OriginVerifyHeader)
	}
	if s, _ := cfn.AsSub(cfn.Get(headers[0], "HeaderValue")); s != ref {
		t.Errorf("%s = %s, want !Sub %q", httpapi.OriginVerifyHeader, cfn.Describe(cfn.Get(headers[0], "HeaderValue")), ref)
	}
	if tp.Type("OriginVerifySecret") != "AWS::SecretsManager::Secret" {
		t.Fatalf("OriginVerifySecret is a %q", tp.Type("OriginVerifySecret"))
	}
	gen := cfn.Get(tp.Properties("OriginVerifySecret"), "GenerateSecretString")
	if n, _ := strconv.Atoi(cfn.Scalar(cfn.Get(gen, "PasswordLength"))); n < 32 {
		t.Errorf("secret length %d, want at least 32", n)
	}
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		if len(tp.Events(id, "HttpApi")) == 0 {
			if v := cfn.Get(tp.Function(id), "Environment", "Variables", "ORIGIN_VERIFY_SECRET"); v != nil {
				t.Errorf("%s serves no API route but gets the secret", id)
			}
			continue
		}
		if s, _ := cfn.AsSub(cfn.Get(tp.Function(id), "Environment", "Variables", "ORIGIN_VERIFY_SECRET")); s != ref {
			t.Errorf("%s ORIGIN_VERIFY_SECRET = %s, want !Sub %q", id, cfn.Describe(cfn.Get(tp.Function(id), "Environment", "Variables", "ORIGIN_VERIFY_SECRET")), ref)
		}
	}
	// Starting uploads and making sets (the pages function's POST /api/sets) share the limit.
	for _, id := range []string{"UploadFunction", "PagesFunction"} {
		if v := cfn.Get(tp.Function(id), "Environment", "Variables", "LIMITS_TABLE"); !cfn.IsRef(v, "LimitsTable") {
			t.Errorf("%s LIMITS_TABLE = %s, want !Ref LimitsTable", id, cfn.Describe(v))
		}
	}
	lt := tp.Properties("LimitsTable")
	if cfn.Scalar(cfn.Get(lt, "TimeToLiveSpecification", "AttributeName")) != "ttl" || cfn.Scalar(cfn.Get(lt, "BillingMode")) != "PAY_PER_REQUEST" || cfn.Get(lt, "StreamSpecification") != nil {
		t.Errorf("LimitsTable = %s, want on-demand, ttl, no stream", cfn.Describe(lt))
	}
	cfg := cfn.Get(tp.Properties("Distribution"), "DistributionConfig")
	if v := cfn.Get(cfg, "WebACLId"); cfn.Describe(v) != cfn.Describe(cfn.Intrinsic{Fn: "Fn::If", Arg: []any{"HasWebAcl", cfn.Ref("WebAclArn"), cfn.Ref("AWS::NoValue")}}) {
		t.Errorf("WebACLId = %s, want the optional WebAclArn", cfn.Describe(v))
	}
}
