// Package ssm keeps one secret in AWS Systems Manager Parameter Store as a SecureString
// (encrypted with the account's aws/ssm key). It owns the narrow interface of the SDK calls it
// makes and translates Parameter Store's errors into federation's sentinels.
package ssm

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/soundtime/soundtime/pkg/federation"
)

// API is the part of *ssm.Client the package uses.
type API interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	PutParameter(ctx context.Context, in *ssm.PutParameterInput, opts ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
}

// Secret is one SecureString parameter.
type Secret struct {
	API  API
	Name string
}

var _ federation.Secrets = Secret{}

// ActorKey is the parameter ACTOR_KEY_PARAMETER names, reached with cfg (the function's role):
// where the deliver and federation functions keep the actor's key. Only their mains call it, so
// that no other function links Parameter Store's client (its initialisation alone allocates
// 1.4 MB at every cold start).
func ActorKey(cfg aws.Config, parameter string) (Secret, error) {
	if parameter == "" {
		return Secret{}, errors.New("ssm: ACTOR_KEY_PARAMETER is required for federation")
	}
	return Secret{API: ssm.NewFromConfig(cfg), Name: parameter}, nil
}

// Get implements federation.Secrets.
func (s Secret) Get(ctx context.Context) (string, error) {
	out, err := s.API.GetParameter(ctx, &ssm.GetParameterInput{Name: &s.Name, WithDecryption: aws.Bool(true)})
	var nf *types.ParameterNotFound
	switch {
	case errors.As(err, &nf):
		return "", federation.ErrNoSecret
	case err != nil:
		return "", fmt.Errorf("ssm: get %s: %w", s.Name, err)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// Create implements federation.Secrets: PutParameter without Overwrite fails if the parameter
// exists, which makes creating it race-free.
func (s Secret) Create(ctx context.Context, value string) error {
	_, err := s.API.PutParameter(ctx, &ssm.PutParameterInput{
		Name: &s.Name, Value: &value, Type: types.ParameterTypeSecureString,
		Overwrite:   aws.Bool(false),
		Description: aws.String("Soundtime: the ActivityPub actor's private key (made once, never rotated by hand)"),
	})
	var exists *types.ParameterAlreadyExists
	switch {
	case errors.As(err, &exists):
		return federation.ErrSecretExists
	case err != nil:
		return fmt.Errorf("ssm: create %s: %w", s.Name, err)
	}
	return nil
}
