// Command deliver is the deliver function: the delivery queue's SQS events (announcements to fan
// out, activities to deliver), with partial batch responses.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/app"
	"github.com/soundtime/soundtime/pkg/ssm"
)

func main() {
	ctx := context.Background()
	a, err := app.Load(ctx, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if a.Secrets, err = ssm.ActorKey(a.AWS, a.Config.Federation.KeyParameter); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	d, err := a.Deliverer(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(d.Handle)
}
