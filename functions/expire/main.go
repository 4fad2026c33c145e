// Command expire is the expire function: the tracks table's stream (REMOVE records, filtered by
// the event source mapping), with partial batch responses.
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
	lambda.Start(a.Expire().Handle)
}
