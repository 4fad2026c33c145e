// Command sweep is the sweep function: an EventBridge schedule runs it to hand uploads whose event
// was lost and processing runs that died back to processing (a message to the process queue, as
// S3's own notification), and to fail what stays overdue.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/app"
)

func main() {
	a, err := app.Load(context.Background(), os.Getenv)
	if err == nil && a.Config.ProcessQueueURL == "" {
		err = errors.New("config: PROCESS_QUEUE_URL is required by the sweep function")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(a.Sweeper(a.ProcessQueue().Send).Handle)
}
