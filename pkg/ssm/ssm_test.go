package ssm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/soundtime/soundtime/pkg/federation"
	"github.com/soundtime/soundtime/pkg/ssm"
)

// fakeSSM behaves as Parameter Store does for one SecureString: PutParameter without Overwrite
// refuses an existing name.
type fakeSSM struct {
	value *string
	puts  []*awsssm.PutParameterInput
}

func (f *fakeSSM) GetParameter(_ context.Context, in *awsssm.GetParameterInput, _ ...func(*awsssm.Options)) (*awsssm.GetParameterOutput, error) {
	if f.value == nil {
		return nil, &types.ParameterNotFound{}
	}
	if !aws.ToBool(in.WithDecryption) {
		return &awsssm.GetParameterOutput{Parameter: &types.Parameter{Value: aws.String("ciphertext")}}, nil
	}
	return &awsssm.GetParameterOutput{Parameter: &types.Parameter{Value: f.value}}, nil
}

func (f *fakeSSM) PutParameter(_ context.Context, in *awsssm.PutParameterInput, _ ...func(*awsssm.Options)) (*awsssm.PutParameterOutput, error) {
	f.puts = append(f.puts, in)
	if f.value != nil && !aws.ToBool(in.Overwrite) {
		return nil, &types.ParameterAlreadyExists{}
	}
	f.value = in.Value
	return &awsssm.PutParameterOutput{}, nil
}

func TestSecret(t *testing.T) {
	api := &fakeSSM{}
	s := ssm.Secret{API: api, Name: "/soundtime/federation/actor-key"}
	ctx := context.Background()
	if _, err := s.Get(ctx); !errors.Is(err, federation.ErrNoSecret) {
		t.Fatalf("Get before Create = %v, want ErrNoSecret", err)
	}
	k, err := federation.LoadKey(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	p := api.puts[0]
	if p.Type != types.ParameterTypeSecureString || aws.ToBool(p.Overwrite) {
		t.Fatalf("stored as %s with Overwrite %v, want a SecureString that never overwrites", p.Type, aws.ToBool(p.Overwrite))
	}
	if err := s.Create(ctx, "another"); !errors.Is(err, federation.ErrSecretExists) {
		t.Fatalf("a second Create = %v, want ErrSecretExists", err)
	}
	again, err := federation.LoadKey(ctx, s)
	if err != nil || !again.Equal(k) || len(api.puts) != 2 {
		t.Fatalf("LoadKey again = %v (same %v, %d puts), want the stored key without a new put", err, again != nil && again.Equal(k), len(api.puts))
	}
}
