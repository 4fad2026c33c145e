package app_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/soundtime/soundtime/pkg/app"
	"github.com/soundtime/soundtime/pkg/track"
)

// The pages function's bucket (LoadSigning: a Signer from the options, no S3 client) signs the
// very URLs the other functions' (Load: the SDK's client) sign, in Lambda's environment.
func TestLoadSigningSignsAsLoad(t *testing.T) {
	env := map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
		"PUBLIC_BASE_URL": "https://soundtime.example", "TABLE_NAME": "tracks", "MEDIA_BUCKET": "media-bucket",
	}
	getenv := func(k string) string { return env[k] }
	full, err := app.Load(context.Background(), getenv)
	if err != nil {
		t.Fatal(err)
	}
	signing, err := app.LoadSigning(context.Background(), getenv)
	if err != nil {
		t.Fatal(err)
	}
	if signing.Bucket.API != nil {
		t.Errorf("LoadSigning's bucket has a client: %T", signing.Bucket.API)
	}
	now := time.Date(2026, 12, 2, 17, 0, 0, 0, time.UTC)
	full.Bucket.Sign.Now = func() time.Time { return now }
	signing.Bucket.Sign.Now = full.Bucket.Sign.Now
	opt := track.GetOptions{ContentType: "image/png", CacheControl: "private, max-age=60"}
	want, err := full.Bucket.PresignGet(context.Background(), "derived/Ab12Cd34/card.png", opt, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got, err := signing.Bucket.PresignGet(context.Background(), "derived/Ab12Cd34/card.png", opt, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LoadSigning signs\n%+v\nLoad signs\n%+v", got, want)
	}
	if !strings.HasPrefix(want.URL, "https://media-bucket.s3.eu-west-1.amazonaws.com/derived/Ab12Cd34/card.png?") {
		t.Errorf("URL %q, want the bucket's virtual-hosted endpoint", want.URL)
	}
	if _, err := app.LoadSigning(context.Background(), func(k string) string {
		if k == "AWS_SECRET_ACCESS_KEY" {
			return ""
		}
		return env[k]
	}); err == nil {
		t.Error("LoadSigning without AWS_SECRET_ACCESS_KEY: no error")
	}
}
