package soundtime_test

// Sample events for `sam local invoke -e`. They must decode into the aws-lambda-go types the
// handlers take and agree with the template (route keys, bucket name, notification prefix).
// s3-put.json is the body of an upload's notification; sqs-s3-put.json is that notification as
// the process function gets it, from the process queue.

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/soundtime/soundtime/internal/cfn"
	"github.com/soundtime/soundtime/pkg/process"
)

func eventFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(eventsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"s3-put.json", "sqs-s3-put.json", "apigw-create.json", "apigw-get.json", "apigw-getuploadurl.json"} {
		if !slices.Contains(files, filepath.Join(eventsDir, want)) {
			t.Errorf("%s/%s missing", eventsDir, want)
		}
	}
	return files
}

func TestEvents(t *testing.T) {
	tp := loadTemplate(t)
	routes := routes(t, tp)
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
			case strings.HasPrefix(base, "sqs-"):
				// What the process function gets: the process queue's messages, whose bodies are
				// S3 event notifications.
				var ev events.SQSEvent
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatalf("decode as events.SQSEvent: %v", err)
				}
				if len(ev.Records) == 0 {
					t.Fatal("no Records")
				}
				for i, m := range ev.Records {
					if m.EventSource != "aws:sqs" || !strings.HasPrefix(m.EventSourceARN, "arn:aws:sqs:") || m.MessageId == "" || m.Attributes["ApproximateReceiveCount"] == "" {
						t.Errorf("Records[%d]: eventSource %q, eventSourceARN %q, messageId %q, attributes %v", i, m.EventSource, m.EventSourceARN, m.MessageId, m.Attributes)
					}
					msg, err := process.DecodeMessage(m.Body)
					if err != nil || msg.Test {
						t.Fatalf("Records[%d] body: %+v, %v; want an S3 event notification", i, msg, err)
					}
					checkS3Event(t, tp, msg.Event)
				}
			case strings.HasPrefix(base, "apigw-"):
				var ev events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal(raw, &ev); err != nil {
					t.Fatalf("decode as events.APIGatewayV2HTTPRequest: %v", err)
				}
				checkHTTPEvent(t, routes, ev)
			default:
				t.Fatalf("unknown event kind: name files s3-*.json, sqs-*.json or apigw-*.json")
			}
		})
	}
}

func checkS3Event(t *testing.T, tp *cfn.Template, ev events.S3Event) {
	t.Helper()
	if len(ev.Records) == 0 {
		t.Fatal("no Records")
	}
	prefix := ""
	for _, r := range cfn.List(cfn.Get(first(cfn.Get(tp.Properties(bucketID), "NotificationConfiguration", "QueueConfigurations")), "Filter", "S3Key", "Rules")) {
		if strings.EqualFold(cfn.Scalar(cfn.Get(r, "Name")), "prefix") {
			prefix = cfn.Scalar(cfn.Get(r, "Value"))
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

func checkHTTPEvent(t *testing.T, routes map[string]cfn.Route, ev events.APIGatewayV2HTTPRequest) {
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
