package soundtime_test

// The HTTP API: every route on the function that serves it, on the one throttled API.

import (
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
)

func TestTemplateRoutes(t *testing.T) {
	tp := loadTemplate(t)
	want := map[string]string{
		"POST /api/tracks":                 "UploadFunction",
		"GET /api/getuploadurl":            "UploadFunction",
		"GET /api/config":                  "UploadFunction",
		"POST /api/tracks/{id}/parts":      "UploadFunction",
		"GET /api/tracks/{id}/parts":       "UploadFunction",
		"POST /api/tracks/{id}/complete":   "UploadFunction",
		"GET /t/{id}":                      "PagesFunction",
		"GET /t/{id}/cover":                "PagesFunction",
		"GET /t/{id}/card":                 "PagesFunction",
		"GET /embed/{id}":                  "PagesFunction",
		"GET /oembed":                      "PagesFunction",
		"GET /api/tracks/{id}":             "TrackFunction",
		"DELETE /api/tracks/{id}":          "TrackFunction",
		"GET /api/tracks/{id}/stream.m3u8": "TrackFunction",
		"GET /api/gettrackinfo":            "TrackFunction",
		"GET /healthz":                     "TrackFunction",
		"GET /api/stats":                   "TrackFunction",
		"POST /api/sets":                   "PagesFunction",
		"GET /api/sets/{id}":               "PagesFunction",
		"PUT /api/sets/{id}":               "PagesFunction",
		"DELETE /api/sets/{id}":            "PagesFunction",
		"GET /s/{id}":                      "PagesFunction",
		"GET /{proxy+}":                    "PagesFunction",
		"GET /api/tracks/{id}/download":    "DownloadFunction",
		"GET /api/getdownloadurl":          "DownloadFunction",
		"GET /.well-known/webfinger":       "FederationFunction",
		"GET /.well-known/nodeinfo":        "FederationFunction",
		"GET /nodeinfo/2.1":                "FederationFunction",
		"GET /ap/actor":                    "FederationFunction",
		"GET /ap/outbox":                   "FederationFunction",
		"GET /ap/followers":                "FederationFunction",
		"GET /ap/following":                "FederationFunction",
		"GET /ap/tracks/{id}":              "FederationFunction",
		"GET /ap/tracks/{id}/activity":     "FederationFunction",
		"POST /ap/inbox":                   "FederationFunction",
	}
	got := routes(t, tp)
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
		for _, fn := range tp.OfType("AWS::Serverless::Function") {
			evs, _ := tp.Properties(fn)["Events"].(map[string]any)
			for name, e := range evs {
				if cfn.Scalar(cfn.Get(e, "Type")) != "HttpApi" {
					continue
				}
				// Without ApiId SAM creates a second, unthrottled implicit API.
				if !cfn.IsRef(cfn.Get(e, "Properties", "ApiId"), apiID) {
					t.Errorf("%s.%s: ApiId = %s, want !Ref %s", fn, name, cfn.Describe(cfn.Get(e, "Properties", "ApiId")), apiID)
				}
				// The handlers decode events.APIGatewayV2HTTPRequest.
				if v := cfn.Get(e, "Properties", "PayloadFormatVersion"); v != nil && cfn.Scalar(v) != "2.0" {
					t.Errorf("%s.%s: PayloadFormatVersion = %s, want 2.0", fn, name, cfn.Describe(v))
				}
			}
		}
	})
	t.Run("Throttling", func(t *testing.T) {
		if got := tp.Type(apiID); got != "AWS::Serverless::HttpApi" {
			t.Fatalf("%s type = %q, want AWS::Serverless::HttpApi", apiID, got)
		}
		s := cfn.Get(tp.Properties(apiID), "DefaultRouteSettings")
		for _, k := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit"} {
			if !cfn.IsRef(cfn.Get(s, k), k) {
				t.Errorf("DefaultRouteSettings.%s = %s, want !Ref %s", k, cfn.Describe(cfn.Get(s, k)), k)
			}
		}
	})
}
