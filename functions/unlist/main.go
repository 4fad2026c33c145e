// Command unlist is the unlist function: the tracks table's stream (REMOVE records of tracks,
// filtered by the event source mapping), with partial batch responses. It drops each gone track
// from its sets and removes a set with its last track.
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
	lambda.Start(a.Unlister().Handle)
}
