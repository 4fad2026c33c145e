package localaws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// dynalite implements neither TransactWriteItems nor TransactGetItems, and Soundtime keeps its
// counters exact by writing them in the same transaction as the track transition they count.
// TxProxy stands in front of dynalite and adds TransactWriteItems with DynamoDB's semantics as
// far as a single local client can observe them: all or nothing, every condition checked, the
// cancellation reasons in the order of the items, no two operations on one item. It applies the
// operations one by one with dynalite's own conditional PutItem/UpdateItem/DeleteItem while
// holding a lock that every other request also takes (reads shared), and on a failed condition
// puts back the items it already changed, so no client of the proxy ever sees half a transaction.
// Clients that go to dynalite directly bypass the lock: the Stack hands out only the proxy.

const (
	dynamoTarget = "DynamoDB_20120810."
	// maxTransactItems is DynamoDB's limit on the items of one transaction.
	maxTransactItems = 100
)

// TxProxy is the transaction-adding proxy in front of dynalite.
type TxProxy struct {
	upstream *url.URL
	client   *http.Client
	proxy    *httputil.ReverseProxy
	// mu serialises writes (and transactions) against each other; reads share it.
	mu sync.RWMutex

	keysMu sync.Mutex
	keys   map[string][]string // table → its key attribute names
}

// NewTxProxy returns a proxy to the dynalite at upstream (http://host:port).
func NewTxProxy(upstream string) (*TxProxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, fmt.Errorf("localaws: dynalite endpoint %q: %w", upstream, err)
	}
	return &TxProxy{
		upstream: u,
		client:   &http.Client{Timeout: 30 * time.Second},
		proxy:    httputil.NewSingleHostReverseProxy(u),
		keys:     map[string][]string{},
	}, nil
}

// readOps are the operations that change nothing; every other one is serialised.
var readOps = map[string]bool{
	"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true,
	"DescribeTable": true, "ListTables": true, "DescribeTimeToLive": true, "ListTagsOfResource": true,
}

func (p *TxProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), dynamoTarget)
	switch {
	case ok && op == "TransactWriteItems":
		p.transactWrite(w, r)
	case ok && readOps[op]:
		p.mu.RLock()
		defer p.mu.RUnlock()
		p.proxy.ServeHTTP(w, r)
	default:
		p.mu.Lock()
		defer p.mu.Unlock()
		p.proxy.ServeHTTP(w, r)
	}
}

// Serve runs the proxy on a free loopback port until ctx ends and returns its endpoint.
func (p *TxProxy) Serve(ctx context.Context) (string, func() error, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("localaws: dynamo proxy: %w", err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), srv.Close, nil
}

// transactItem is one element of TransactItems; exactly one field is set.
type transactItem struct {
	Put            json.RawMessage `json:"Put,omitempty"`
	Update         json.RawMessage `json:"Update,omitempty"`
	Delete         json.RawMessage `json:"Delete,omitempty"`
	ConditionCheck json.RawMessage `json:"ConditionCheck,omitempty"`
}

// operation is the part of each kind of item the proxy reads itself; the rest goes to dynalite
// as it came.
type operation struct {
	TableName string                     `json:"TableName"`
	Key       map[string]json.RawMessage `json:"Key"`
	Item      map[string]json.RawMessage `json:"Item"`
}

type step struct {
	action string // PutItem, UpdateItem, DeleteItem, or ConditionCheck
	body   json.RawMessage
	table  string
	key    map[string]json.RawMessage
}

type cancellationReason struct {
	Code    string `json:"Code"`
	Message string `json:"Message,omitempty"`
}

func (p *TxProxy) transactWrite(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		dynamoError(w, http.StatusBadRequest, "SerializationException", "unreadable body")
		return
	}
	var in struct {
		TransactItems []transactItem `json:"TransactItems"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		dynamoError(w, http.StatusBadRequest, "SerializationException", err.Error())
		return
	}
	if n := len(in.TransactItems); n == 0 || n > maxTransactItems {
		dynamoError(w, http.StatusBadRequest, "ValidationException",
			fmt.Sprintf("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length between 1 and %d", maxTransactItems))
		return
	}
	auth := r.Header.Clone()
	p.mu.Lock()
	defer p.mu.Unlock()

	steps := make([]step, len(in.TransactItems))
	seen := map[string]bool{}
	for i, it := range in.TransactItems {
		s, err := p.stepOf(r.Context(), auth, it)
		if err != nil {
			dynamoError(w, http.StatusBadRequest, "ValidationException", err.Error())
			return
		}
		id := s.table + "\x00" + canonicalKey(s.key)
		if seen[id] {
			dynamoError(w, http.StatusBadRequest, "ValidationException", "Transaction request cannot include multiple operations on one item")
			return
		}
		seen[id] = true
		steps[i] = s
	}

	// The items as they were, to put back if a later condition fails.
	before := make([]map[string]json.RawMessage, len(steps))
	for i, s := range steps {
		item, err := p.getItem(r.Context(), auth, s.table, s.key)
		if err != nil {
			dynamoError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
			return
		}
		before[i] = item
	}
	for i, s := range steps {
		status, resp, err := p.call(r.Context(), auth, s.action, s.body)
		if err != nil {
			p.restore(r.Context(), auth, steps[:i+1], before[:i+1])
			dynamoError(w, http.StatusInternalServerError, "InternalServerError", err.Error())
			return
		}
		if s.action == "ConditionCheck" {
			// Checked with a bare UpdateItem, which creates a missing item: put it back now.
			p.restore(r.Context(), auth, steps[i:i+1], before[i:i+1])
		}
		if status == http.StatusOK {
			continue
		}
		p.restore(r.Context(), auth, steps[:i], before[:i])
		if errorType(resp) != "ConditionalCheckFailedException" {
			// A malformed operation: dynalite's own error, as DynamoDB would answer it.
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(status)
			w.Write(resp)
			return
		}
		reasons := make([]cancellationReason, len(steps))
		codes := make([]string, len(steps))
		for j := range reasons {
			reasons[j], codes[j] = cancellationReason{Code: "None"}, "None"
		}
		reasons[i] = cancellationReason{Code: "ConditionalCheckFailed", Message: "The conditional request failed"}
		codes[i] = "ConditionalCheckFailed"
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"__type":              "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
			"message":             "Transaction cancelled, please refer cancellation reasons for specific reasons [" + strings.Join(codes, ", ") + "]",
			"CancellationReasons": reasons,
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

func (p *TxProxy) stepOf(ctx context.Context, h http.Header, it transactItem) (step, error) {
	var s step
	n := 0
	for _, c := range []struct {
		action string
		body   json.RawMessage
	}{{"PutItem", it.Put}, {"UpdateItem", it.Update}, {"DeleteItem", it.Delete}, {"ConditionCheck", it.ConditionCheck}} {
		if len(c.body) > 0 {
			s.action, s.body = c.action, c.body
			n++
		}
	}
	if n != 1 {
		return s, errors.New("each TransactItem must set exactly one of Put, Update, Delete, ConditionCheck")
	}
	var op operation
	if err := json.Unmarshal(s.body, &op); err != nil {
		return s, fmt.Errorf("transact item: %w", err)
	}
	s.table, s.key = op.TableName, op.Key
	if s.action == "PutItem" {
		names, err := p.keyNames(ctx, h, op.TableName)
		if err != nil {
			return s, err
		}
		s.key = map[string]json.RawMessage{}
		for _, k := range names {
			v, ok := op.Item[k]
			if !ok {
				return s, fmt.Errorf("one of the required keys was not given a value: %s", k)
			}
			s.key[k] = v
		}
	}
	if s.table == "" || len(s.key) == 0 {
		return s, errors.New("transact item without TableName or Key")
	}
	if s.action == "ConditionCheck" {
		// UpdateItem without an update expression only evaluates the condition.
		var fields map[string]json.RawMessage
		json.Unmarshal(s.body, &fields)
		delete(fields, "ReturnValuesOnConditionCheckFailure")
		s.body, _ = json.Marshal(fields)
	}
	return s, nil
}

// restore puts the items of steps back as before holds them, latest first.
func (p *TxProxy) restore(ctx context.Context, h http.Header, steps []step, before []map[string]json.RawMessage) {
	ctx = context.WithoutCancel(ctx)
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if before[i] == nil {
			b, _ := json.Marshal(map[string]any{"TableName": s.table, "Key": s.key})
			p.call(ctx, h, "DeleteItem", b)
			continue
		}
		b, _ := json.Marshal(map[string]any{"TableName": s.table, "Item": before[i]})
		p.call(ctx, h, "PutItem", b)
	}
}

func (p *TxProxy) getItem(ctx context.Context, h http.Header, table string, key map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	b, _ := json.Marshal(map[string]any{"TableName": table, "Key": key, "ConsistentRead": true})
	status, resp, err := p.call(ctx, h, "GetItem", b)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("get %s: %s", table, resp)
	}
	var out struct {
		Item map[string]json.RawMessage `json:"Item"`
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return nil, err
	}
	return out.Item, nil
}

func (p *TxProxy) keyNames(ctx context.Context, h http.Header, table string) ([]string, error) {
	p.keysMu.Lock()
	names, ok := p.keys[table]
	p.keysMu.Unlock()
	if ok {
		return names, nil
	}
	b, _ := json.Marshal(map[string]string{"TableName": table})
	status, resp, err := p.call(ctx, h, "DescribeTable", b)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("requested resource not found: table %s not found", table)
	}
	var out struct {
		Table struct {
			KeySchema []struct {
				AttributeName string `json:"AttributeName"`
			} `json:"KeySchema"`
		} `json:"Table"`
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return nil, err
	}
	for _, k := range out.Table.KeySchema {
		names = append(names, k.AttributeName)
	}
	p.keysMu.Lock()
	p.keys[table] = names
	p.keysMu.Unlock()
	return names, nil
}

// call sends one operation to dynalite with the caller's Authorization and date headers
// (dynalite checks their form, not their signature).
func (p *TxProxy) call(ctx context.Context, h http.Header, action string, body []byte) (int, []byte, error) {
	if action == "ConditionCheck" {
		action = "UpdateItem"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.upstream.String(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", dynamoTarget+action)
	for _, k := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
		if v := h.Get(k); v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("localaws: dynalite %s: %w", action, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// canonicalKey orders a key's attributes so that two spellings of one key compare equal.
func canonicalKey(key map[string]json.RawMessage) string {
	b, _ := json.Marshal(key) // encoding/json sorts map keys
	var compact bytes.Buffer
	json.Compact(&compact, b)
	return compact.String()
}

func errorType(resp []byte) string {
	var e struct {
		Type string `json:"__type"`
	}
	json.Unmarshal(resp, &e)
	_, name, _ := strings.Cut(e.Type, "#")
	return name
}

func dynamoError(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, map[string]string{"__type": "com.amazon.coral.validate#" + typ, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
