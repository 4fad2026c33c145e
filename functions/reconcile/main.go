// Command reconcile is the reconcile function: an EventBridge schedule runs it to delete objects
// whose track no longer exists, and it returns what it did.
package main

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/soundtime/soundtime/pkg/expire"
	"github.com/soundtime/soundtime/pkg/lambdaenv"
)

func main() {
	env := lambdaenv.Load(context.Background())
	lambda.Start(func(ctx context.Context) (expire.Report, error) {
		rep, err := expire.Reconcile(ctx, env.Store, env.Bucket)
		if err == nil {
			env.Log.Info("reconciled", slog.Int("tracks", rep.Tracks), slog.Int("orphans", rep.Orphans), slog.Int("deleted", rep.Deleted))
		}
		return rep, err
	})
}
