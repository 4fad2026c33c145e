package soundtime_test

// Where Soundtime keeps things: the tables, the media bucket and the queues, and what happens to
// them when the stack goes.

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
)

func TestTemplateTable(t *testing.T) {
	tp := loadTemplate(t)
	if got := tp.Type(tableID); got != "AWS::DynamoDB::Table" {
		t.Fatalf("%s type = %q, want AWS::DynamoDB::Table", tableID, got)
	}
	p := tp.Properties(tableID)
	checks := []struct {
		name string
		got  any
		want string
	}{
		{"BillingMode", p["BillingMode"], "PAY_PER_REQUEST"},
		{"KeySchema[0].AttributeName", cfn.Get(first(p["KeySchema"]), "AttributeName"), "id"},
		{"KeySchema[0].KeyType", cfn.Get(first(p["KeySchema"]), "KeyType"), "HASH"},
		{"AttributeDefinitions[0].AttributeName", cfn.Get(first(p["AttributeDefinitions"]), "AttributeName"), "id"},
		{"AttributeDefinitions[0].AttributeType", cfn.Get(first(p["AttributeDefinitions"]), "AttributeType"), "S"},
		// pkg/ writes the expiry to `ttl`; the expire function reads the old image.
		{"TimeToLiveSpecification.AttributeName", cfn.Get(p, "TimeToLiveSpecification", "AttributeName"), "ttl"},
		{"TimeToLiveSpecification.Enabled", cfn.Get(p, "TimeToLiveSpecification", "Enabled"), "true"},
		{"StreamSpecification.StreamViewType", cfn.Get(p, "StreamSpecification", "StreamViewType"), "OLD_IMAGE"},
		{"PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", cfn.Get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"), "true"},
		{"SSESpecification.SSEEnabled", cfn.Get(p, "SSESpecification", "SSEEnabled"), "true"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if cfn.Scalar(c.got) != c.want {
				t.Errorf("%s = %s, want %q", c.name, cfn.Describe(c.got), c.want)
			}
		})
	}
	t.Run("TableName", func(t *testing.T) {
		if s, _ := cfn.AsSub(p["TableName"]); s != "${AWS::StackName}-tracks" {
			t.Errorf("TableName = %s, want !Sub '${AWS::StackName}-tracks'", cfn.Describe(p["TableName"]))
		}
	})
}

func first(v any) any {
	if l := cfn.List(v); len(l) > 0 {
		return l[0]
	}
	return nil
}

// siteOrigin is the upload CORS rule's origin: PUBLIC_BASE_URL's, with the distribution's own
// name in place of the placeholder.
var siteOrigin = cfn.Intrinsic{Fn: "Fn::If", Arg: []any{
	"HasPublicBaseUrl",
	cfn.Ref("PublicBaseUrl"),
	cfn.Intrinsic{Fn: "Fn::If", Arg: []any{"HasDomain", cfn.Sub("https://${DomainName}"), cfn.Sub("https://${Distribution.DomainName}")}},
}}

func TestTemplateMediaBucket(t *testing.T) {
	tp := loadTemplate(t)
	if got := tp.Type(bucketID); got != "AWS::S3::Bucket" {
		t.Fatalf("%s type = %q, want AWS::S3::Bucket", bucketID, got)
	}
	p := tp.Properties(bucketID)

	t.Run("Name", func(t *testing.T) {
		if s, _ := cfn.AsSub(p["BucketName"]); s != bucketNameSub {
			t.Errorf("BucketName = %s, want !Sub %q (policies build ARNs from it)", cfn.Describe(p["BucketName"]), bucketNameSub)
		}
	})
	t.Run("BlockPublicAccess", func(t *testing.T) {
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if got := cfn.Scalar(cfn.Get(p, "PublicAccessBlockConfiguration", k)); got != "true" {
				t.Errorf("PublicAccessBlockConfiguration.%s = %q, want true", k, got)
			}
		}
		if got := cfn.Scalar(cfn.Get(first(cfn.Get(p, "OwnershipControls", "Rules")), "ObjectOwnership")); got != "BucketOwnerEnforced" {
			t.Errorf("OwnershipControls = %q, want BucketOwnerEnforced (no ACLs at all)", got)
		}
	})
	t.Run("Encryption", func(t *testing.T) {
		rule := first(cfn.Get(p, "BucketEncryption", "ServerSideEncryptionConfiguration"))
		if got := cfn.Scalar(cfn.Get(rule, "ServerSideEncryptionByDefault", "SSEAlgorithm")); got != "AES256" {
			t.Errorf("SSEAlgorithm = %q, want AES256", got)
		}
	})
	t.Run("CORS", func(t *testing.T) {
		// The browser PUTs with the signed Content-Type and Content-MD5 headers and reads the
		// ETag; a preflight that does not allow them fails every upload. Only the site may PUT.
		// The player reads media from any origin (the embed in a sandboxed link card sends
		// Origin: null): GET and HEAD only, for '*'.
		rules := cfn.List(cfn.Get(p, "CorsConfiguration", "CorsRules"))
		if len(rules) == 0 {
			t.Fatal("no CorsRules")
		}
		methods := func(r any) []string {
			var out []string
			for _, m := range cfn.List(cfn.Get(r, "AllowedMethods")) {
				out = append(out, cfn.Scalar(m))
			}
			slices.Sort(out)
			return out
		}
		var put, read any
		for _, r := range rules {
			origins := cfn.List(cfn.Get(r, "AllowedOrigins"))
			ms := methods(r)
			anyOrigin := slices.ContainsFunc(origins, func(o any) bool { return cfn.Scalar(o) == "*" })
			if anyOrigin && !slices.Equal(ms, []string{"GET", "HEAD"}) {
				t.Errorf("the rule for '*' allows %v, want GET and HEAD only", ms)
			}
			if slices.Contains(ms, "PUT") {
				// The site's origin only: what the functions link to, except that on a first
				// deploy without a domain the bucket names the distribution itself.
				if len(origins) != 1 || !reflect.DeepEqual(origins[0], siteOrigin) {
					t.Errorf("PUT is allowed from %s, want [%s] only", cfn.Describe(origins), cfn.Describe(siteOrigin))
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
			if !slices.ContainsFunc(cfn.List(cfn.Get(put, "AllowedHeaders")), func(v any) bool { return strings.EqualFold(cfn.Scalar(v), h) }) {
				t.Errorf("the PUT rule's AllowedHeaders lack %s", h)
			}
		}
		if !slices.Contains(cfn.List(cfn.Get(put, "ExposedHeaders")), any("ETag")) {
			t.Errorf("the PUT rule's ExposedHeaders lack ETag")
		}
	})
	t.Run("AbortIncompleteMultipartUploads", func(t *testing.T) {
		ok := false
		for _, r := range cfn.List(cfn.Get(p, "LifecycleConfiguration", "Rules")) {
			d, err := strconv.Atoi(cfn.Scalar(cfn.Get(r, "AbortIncompleteMultipartUpload", "DaysAfterInitiation")))
			if err == nil && d == 1 && cfn.Scalar(cfn.Get(r, "Status")) == "Enabled" {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no enabled lifecycle rule aborting incomplete multipart uploads after 1 day")
		}
	})
	t.Run("DenyInsecureTransport", func(t *testing.T) {
		ok := false
		for _, pol := range tp.OfType("AWS::S3::BucketPolicy") {
			pp := tp.Properties(pol)
			if !cfn.IsRef(pp["Bucket"], bucketID) {
				continue
			}
			for _, st := range cfn.List(cfn.Get(pp, "PolicyDocument", "Statement")) {
				if cfn.Scalar(cfn.Get(st, "Effect")) == "Deny" && cfn.Scalar(cfn.Get(st, "Condition", "Bool", "aws:SecureTransport")) == "false" &&
					len(cfn.List(cfn.Get(st, "Resource"))) >= 2 {
					ok = true
				}
			}
		}
		if !ok {
			t.Errorf("no bucket policy denying aws:SecureTransport=false on the bucket and its objects")
		}
	})
}

// checkFailureQueue makes sure dest is !GetAtt queue.Arn and the queue keeps what lands in it
// for as long as SQS allows, encrypted.
func checkFailureQueue(t *testing.T, tp *cfn.Template, dest any, queue string) {
	t.Helper()
	if r, a, ok := cfn.AsGetAtt(dest); !ok || r != queue || a != "Arn" {
		t.Errorf("OnFailure.Destination = %s, want !GetAtt %s.Arn", cfn.Describe(dest), queue)
	}
	if got := tp.Type(queue); got != "AWS::SQS::Queue" {
		t.Fatalf("%s type = %q, want AWS::SQS::Queue", queue, got)
	}
	q := tp.Properties(queue)
	if got := cfn.Scalar(q["MessageRetentionPeriod"]); got != "1209600" {
		t.Errorf("%s MessageRetentionPeriod = %q, want 1209600 (14 days)", queue, got)
	}
	if cfn.Scalar(q["SqsManagedSseEnabled"]) != "true" && q["KmsMasterKeyId"] == nil {
		t.Errorf("%s is not encrypted", queue)
	}
}

// Data must survive a stack replacement or deletion: every table and queue says what happens to
// it (cfn-lint's I3011 asks the same), and those that hold data are kept. RetainExceptOnCreate
// still deletes them when the deploy that created them fails, so that a failed first deploy
// leaves nothing that would block the next (the tables' names are fixed). Only the limits
// table, whose items live two minutes, and the origin secret, which a new stack makes anew, go.
func TestTemplateStatefulResourcesKept(t *testing.T) {
	tp := loadTemplate(t)
	disposable := map[string]bool{"LimitsTable": true, "OriginVerifySecret": true}
	var ids []string
	for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::SecretsManager::Secret"} {
		ids = append(ids, tp.OfType(typ)...)
	}
	if len(ids) < 4+2+9 {
		t.Fatalf("stateful resources = %v, want the queues, tables and log groups", ids)
	}
	for _, id := range ids {
		r := tp.Resource(id)
		del, repl := cfn.Scalar(r["DeletionPolicy"]), cfn.Scalar(r["UpdateReplacePolicy"])
		if disposable[id] {
			if del != "Delete" || repl != "Delete" {
				t.Errorf("%s: DeletionPolicy %q, UpdateReplacePolicy %q, want Delete and Delete stated", id, del, repl)
			}
			continue
		}
		if del != "RetainExceptOnCreate" || repl != "Retain" {
			t.Errorf("%s: DeletionPolicy %q, UpdateReplacePolicy %q, want RetainExceptOnCreate and Retain", id, del, repl)
		}
	}
}
