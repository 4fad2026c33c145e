// Package invoke starts Lambda functions asynchronously, as S3 and EventBridge do: the sweep
// function hands an original back to the process function this way. It owns the narrow API
// interface of the one SDK call it makes.
package invoke

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// API is the part of *lambda.Client the package uses.
type API interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Function is one Lambda function (a name, an ARN or an alias ARN).
type Function struct {
	API  API
	Name string
}

// Async queues an asynchronous invocation with payload: Lambda retries it and sends it to the
// function's OnFailure destination as it does S3's own events.
func (f Function) Async(ctx context.Context, payload []byte) error {
	out, err := f.API.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   &f.Name,
		InvocationType: types.InvocationTypeEvent,
		Payload:        payload,
	})
	if err != nil {
		return fmt.Errorf("invoke %s: %w", f.Name, err)
	}
	if out.StatusCode != 202 {
		return fmt.Errorf("invoke %s: status %d", f.Name, out.StatusCode)
	}
	return nil
}
