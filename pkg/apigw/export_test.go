package apigw

// Decode and AppendString expose the lean path's parts to the tests that compare them with the
// SDK's event types and encoding/json.
var (
	Decode       = decode
	AppendString = appendString[string]
)
