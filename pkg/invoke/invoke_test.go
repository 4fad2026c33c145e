package invoke_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/soundtime/soundtime/pkg/invoke"
)

type fakeAPI struct {
	in     *lambda.InvokeInput
	status int32
	err    error
}

func (f *fakeAPI) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f.in = in
	return &lambda.InvokeOutput{StatusCode: f.status}, f.err
}

func TestAsync(t *testing.T) {
	api := &fakeAPI{status: 202}
	fn := invoke.Function{API: api, Name: "arn:aws:lambda:us-east-1:123456789012:function:process:live"}
	if err := fn.Async(context.Background(), []byte(`{"Records":[]}`)); err != nil {
		t.Fatal(err)
	}
	if api.in.InvocationType != types.InvocationTypeEvent || *api.in.FunctionName != fn.Name || string(api.in.Payload) != `{"Records":[]}` {
		t.Fatalf("invoked %+v", api.in)
	}
	api.status = 200 // a synchronous answer is not what was asked for
	if err := fn.Async(context.Background(), nil); err == nil {
		t.Fatal("a non-202 answer passed")
	}
	api.err = errors.New("TooManyRequestsException")
	if err := fn.Async(context.Background(), nil); err == nil {
		t.Fatal("an error passed")
	}
}
