// Command reconcile is the reconcile function: an EventBridge schedule runs it to delete objects
// whose track no longer exists, and it logs and returns what it did.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/app"
)

func main() {
	a, err := app.Load(context.Background(), os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(a.Reconcile().Handle)
}
