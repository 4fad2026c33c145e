package localaws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// EnsureBucket creates the bucket if it is missing and sets its CORS rules, as the template
// does in AWS: pages on any origin may GET and HEAD media (the embedded player runs in other
// sites' frames, sandboxed ones included, whose origin is "null"; the signature guards each
// object, and '*' never allows credentials), and only pages served from origin may PUT uploads.
// The first rule that matches a request's origin and method applies. It serves the local stack
// and the tests, and it is idempotent.
func EnsureBucket(ctx context.Context, c *s3.Client, name, origin string) error {
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name})
	var owned *types.BucketAlreadyOwnedByYou
	var exists *types.BucketAlreadyExists
	if err != nil && !errors.As(err, &owned) && !errors.As(err, &exists) {
		return fmt.Errorf("localaws: create bucket %s: %w", name, err)
	}
	_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{
		Bucket: &name,
		CORSConfiguration: &types.CORSConfiguration{CORSRules: []types.CORSRule{{
			ID:             aws.String("ReadFromAnyOrigin"),
			AllowedOrigins: []string{"*"},
			AllowedMethods: []string{"GET", "HEAD"},
			AllowedHeaders: []string{"Range"},
			ExposeHeaders:  []string{"ETag", "Content-Length", "Content-Range"},
			MaxAgeSeconds:  aws.Int32(3600),
		}, {
			ID:             aws.String("UploadFromTheSite"),
			AllowedOrigins: []string{origin},
			AllowedMethods: []string{"PUT"},
			AllowedHeaders: []string{"Content-Type", "Content-MD5", "Content-Length"},
			ExposeHeaders:  []string{"ETag"},
			MaxAgeSeconds:  aws.Int32(3600),
		}}},
	})
	if err != nil {
		return fmt.Errorf("localaws: put CORS on %s: %w", name, err)
	}
	return nil
}
