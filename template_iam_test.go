package soundtime_test

// The functions' roles: least privilege, and no reference that would make a cycle.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/soundtime/soundtime/internal/cfn"
)

// grant is one (action, resource) pair of an IAM statement with the statement's Condition, if
// any; resource and condition are rendered by describe (condition lists sorted, so their order
// does not matter).
type grant struct{ action, resource, condition string }

func (g grant) when() string {
	if g.condition == "" {
		return ""
	}
	return " when " + g.condition
}

// sortedLists returns v with every list of plain strings sorted.
func sortedLists(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = sortedLists(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		strs := true
		for i, e := range x {
			out[i] = sortedLists(e)
			if _, ok := e.(string); !ok {
				strs = false
			}
		}
		if strs {
			slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		}
		return out
	}
	return v
}

func describeCondition(c any) string {
	if c == nil {
		return ""
	}
	return cfn.Describe(sortedLists(c))
}

func TestTemplatePolicies(t *testing.T) {
	tp := loadTemplate(t)
	table := cfn.Describe(cfn.GetAtt(tableID, "Arn"))
	objects := func(prefix string) string {
		return cfn.Describe(cfn.Sub(bucketArnSub + "/" + prefix + "*"))
	}
	stream := cfn.Describe(cfn.GetAtt(tableID, "StreamArn"))
	bucket := cfn.Describe(cfn.Sub(bucketArnSub))
	// Listing is only ever by a track prefix: never the whole bucket, never another prefix.
	trackPrefixes := describeCondition(map[string]any{"StringLike": map[string]any{"s3:prefix": []any{"uploads/*", "derived/*"}}})
	// Least privilege, as docs/design.md describes each role: exactly these pairs, nothing more and nothing less (a
	// missing s3:PutObject breaks presigned uploads as surely as an extra one widens them).
	deliveryQueue := cfn.Describe(cfn.GetAtt("DeliveryQueue", "Arn"))
	processQueue := cfn.Describe(cfn.GetAtt("ProcessQueue", "Arn"))
	followers := cfn.Describe(cfn.GetAtt("FollowersTable", "Arn"))
	stats := cfn.Describe(cfn.GetAtt("StatsTable", "Arn"))
	actorKey := cfn.Describe(cfn.Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/federation/actor-key"))
	want := map[string][]grant{
		// s3:PutObject also authorises CreateMultipartUpload, UploadPart (the signed part URLs)
		// and CompleteMultipartUpload; a multipart upload's calls read the track, record its MD5
		// (PutItem) and slide its deadline (UpdateItem), list its parts and abort one begun for a
		// track that could not be written.
		"UploadFunction": {
			{"dynamodb:PutItem", table, ""},
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:UpdateItem", table, ""},
			{"dynamodb:UpdateItem", cfn.Describe(cfn.GetAtt("LimitsTable", "Arn")), ""},
			{"dynamodb:UpdateItem", stats, ""},
			{"s3:PutObject", objects("uploads/"), ""},
			{"s3:ListMultipartUploadParts", objects("uploads/"), ""},
			{"s3:AbortMultipartUpload", objects("uploads/"), ""},
		},
		"TrackFunction": {
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:UpdateItem", table, ""},
			{"dynamodb:DeleteItem", table, ""},
			{"dynamodb:UpdateItem", stats, ""},
			{"dynamodb:BatchGetItem", stats, ""},
			{"s3:GetObject", objects("derived/"), ""},
		},
		// Sets live in the tracks table: put whole, their tracks read in bulk. The pages only
		// sign GETs of derived media.
		"PagesFunction": {
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:PutItem", table, ""},
			{"dynamodb:UpdateItem", table, ""},
			{"dynamodb:DeleteItem", table, ""},
			{"dynamodb:BatchGetItem", table, ""},
			{"dynamodb:UpdateItem", cfn.Describe(cfn.GetAtt("LimitsTable", "Arn")), ""},
			{"s3:GetObject", objects("derived/"), ""},
		},
		"DownloadFunction": {
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:UpdateItem", table, ""},
			{"dynamodb:UpdateItem", stats, ""},
			{"s3:GetObject", objects("uploads/"), ""},
		},
		// It deletes the objects of a track that failed, and an object of no upload in
		// progress, on arrival.
		"ProcessFunction": {
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:PutItem", table, ""},
			{"dynamodb:UpdateItem", stats, ""},
			{"s3:GetObject", objects("uploads/"), ""},
			{"s3:PutObject", objects("derived/"), ""},
			{"s3:ListBucket", bucket, trackPrefixes},
			{"s3:DeleteObject", objects("uploads/"), ""},
			{"s3:DeleteObject", objects("derived/"), ""},
			{"sqs:SendMessage", deliveryQueue, ""},
			// What its event source mapping does with its role, on its queue only (no SAM SQS
			// event, whose managed policy reaches every queue).
			{"sqs:ReceiveMessage", processQueue, ""},
			{"sqs:DeleteMessage", processQueue, ""},
			{"sqs:GetQueueAttributes", processQueue, ""},
		},
		// The index of tracks in flight, never a scan; redrives go to the process queue, never
		// straight to a function.
		"SweepFunction": {
			{"dynamodb:Query", cfn.Describe(cfn.Sub("${TracksTable.Arn}/index/sweep")), ""},
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:PutItem", table, ""},
			{"dynamodb:UpdateItem", stats, ""},
			{"s3:GetObject", objects("uploads/"), ""},
			{"s3:ListBucket", bucket, trackPrefixes},
			{"s3:DeleteObject", objects("uploads/"), ""},
			{"s3:DeleteObject", objects("derived/"), ""},
			{"sqs:SendMessage", processQueue, ""},
		},
		// Only the key from the record: no access to the table's items (the counters'
		// table: a removal's marker and the totals). sqs:SendMessage on
		// ExpireFailureQueue comes from SAM (OnFailure Type: SQS, see TestTemplateExpireFunction).
		"ExpireFunction": {
			{"s3:ListBucket", bucket, trackPrefixes},
			{"s3:DeleteObject", objects("uploads/"), ""},
			{"s3:DeleteObject", objects("derived/"), ""},
			// A pending multipart track's upload, aborted with it.
			{"s3:AbortMultipartUpload", objects("uploads/"), ""},
			{"dynamodb:DescribeStream", stream, ""},
			{"dynamodb:GetRecords", stream, ""},
			{"dynamodb:GetShardIterator", stream, ""},
			{"dynamodb:ListStreams", stream, ""},
			{"dynamodb:PutItem", stats, ""},
			{"dynamodb:UpdateItem", stats, ""},
			{"sqs:SendMessage", deliveryQueue, ""},
		},
		// Its own documents and the inbox: tracks read, never written; followers; replies
		// queued; the actor's key, one parameter.
		"FederationFunction": {
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:Query", cfn.Describe(cfn.Sub("${TracksTable.Arn}/index/public")), ""},
			{"dynamodb:PutItem", followers, ""},
			{"dynamodb:DeleteItem", followers, ""},
			{"dynamodb:Scan", followers, ""},
			{"dynamodb:UpdateItem", stats, ""},
			{"sqs:SendMessage", deliveryQueue, ""},
			{"ssm:GetParameter", actorKey, ""},
			{"ssm:PutParameter", actorKey, ""},
		},
		"DeliverFunction": {
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:Scan", followers, ""},
			{"dynamodb:DeleteItem", followers, ""},
			{"dynamodb:UpdateItem", stats, ""},
			{"sqs:SendMessage", deliveryQueue, ""},
			{"sqs:ChangeMessageVisibility", deliveryQueue, ""},
			{"ssm:GetParameter", actorKey, ""},
			{"ssm:PutParameter", actorKey, ""},
		},
		// The sets that list a removed track, and its members entry; the stream. No S3, no
		// counters. sqs:SendMessage on UnlistFailureQueue comes from SAM, as for expire.
		"UnlistFunction": {
			{"dynamodb:GetItem", table, ""},
			{"dynamodb:PutItem", table, ""},
			{"dynamodb:DeleteItem", table, ""},
			{"dynamodb:DescribeStream", stream, ""},
			{"dynamodb:GetRecords", stream, ""},
			{"dynamodb:GetShardIterator", stream, ""},
			{"dynamodb:ListStreams", stream, ""},
		},
		"ReconcileFunction": {
			{"s3:ListBucket", bucket, trackPrefixes},
			{"s3:DeleteObject", objects("uploads/"), ""},
			{"s3:DeleteObject", objects("derived/"), ""},
			{"dynamodb:GetItem", table, ""},
		},
	}
	if _, ok := tp.Globals("Function")["Policies"]; ok {
		t.Errorf("Globals.Function.Policies: grants must be per function")
	}
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			expected, known := want[id]
			if !known {
				t.Fatalf("no least-privilege list for %s in this test: add one", id)
			}
			fn := tp.Function(id)
			if _, ok := fn["Role"]; ok {
				t.Fatalf("Role is set: SAM would ignore Policies and this test could not see the grants")
			}
			granted := map[grant]bool{}
			for i, pol := range cfn.List(fn["Policies"]) {
				stmts, ok := cfn.Get(pol, "Statement").([]any)
				if !ok {
					// Managed policy names and SAM policy templates hide their grants (and most
					// grant far more than one prefix or one table).
					t.Errorf("Policies[%d] = %s: only inline policy documents with a Statement list", i, cfn.Describe(pol))
					continue
				}
				for j, st := range stmts {
					where := fmt.Sprintf("Policies[%d].Statement[%d]", i, j)
					if m, ok := st.(map[string]any); ok {
						for k := range m {
							if !slices.Contains([]string{"Sid", "Effect", "Action", "Resource", "Condition"}, k) {
								t.Errorf("%s: unexpected key %s", where, k)
							}
						}
					}
					condition := describeCondition(cfn.Get(st, "Condition"))
					if cfn.Scalar(cfn.Get(st, "Effect")) != "Allow" {
						t.Errorf("%s: Effect %q, want Allow", where, cfn.Scalar(cfn.Get(st, "Effect")))
					}
					for _, k := range []string{"NotAction", "NotResource", "Principal"} {
						if cfn.Get(st, k) != nil {
							t.Errorf("%s: %s widens the grant", where, k)
						}
					}
					actions, resources := cfn.List(cfn.Get(st, "Action")), cfn.List(cfn.Get(st, "Resource"))
					if len(actions) == 0 || len(resources) == 0 {
						t.Errorf("%s: needs Action and Resource", where)
					}
					for _, a := range actions {
						if strings.Contains(cfn.Scalar(a), "*") {
							t.Errorf("%s: wildcard action %s", where, cfn.Describe(a))
						}
						for _, r := range resources {
							if s, ok := r.(string); ok && (s == "*" || strings.HasSuffix(s, ":*")) {
								t.Errorf("%s: wildcard resource %q", where, s)
							}
							g := grant{cfn.Scalar(a), cfn.Describe(r), condition}
							if !slices.Contains(expected, g) {
								t.Errorf("%s grants %s on %s%s: not in the design", where, g.action, g.resource, g.when())
							}
							granted[g] = true
						}
					}
				}
			}
			for _, g := range expected {
				if !granted[g] {
					t.Errorf("missing grant %s on %s%s", g.action, g.resource, g.when())
				}
			}
		})
	}
}

// A function whose role (or anything else outside Events) refers to the bucket whose
// notification invokes it cannot be created: bucket -> permission -> function -> role -> bucket.
func TestTemplateNoCircularBucketReference(t *testing.T) {
	tp := loadTemplate(t)
	triggered := map[string]bool{bucketID: true}
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		evs, _ := tp.Properties(id)["Events"].(map[string]any)
		for _, e := range evs {
			if b, ok := cfn.Get(e, "Properties", "Bucket").(cfn.Intrinsic); ok && cfn.Scalar(cfn.Get(e, "Type")) == "S3" {
				triggered[cfn.Scalar(b.Arg)] = true
			}
		}
	}
	for _, id := range tp.OfType("AWS::Serverless::Function") {
		t.Run(id, func(t *testing.T) {
			for k, v := range tp.Function(id) {
				if k == "Events" {
					continue // the S3 event itself must !Ref the bucket; SAM wires it the safe way
				}
				for _, ref := range cfn.References(v) {
					if triggered[ref] {
						t.Errorf("%s refers to %s: circular dependency; use the !Sub bucket name %q", k, ref, bucketNameSub)
					}
				}
			}
		})
	}
}
