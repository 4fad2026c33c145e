// Package cfn reads CloudFormation and AWS SAM templates into plain Go values, for checking a
// template offline: there is no AWS account, sam CLI or Docker where the repository's template
// tests run.
//
// A template becomes the value model of this package: a mapping is a map[string]any, a sequence
// an []any, a scalar a string (CloudFormation compares "900" and 900 alike, and so does this
// package), null is nil, and every intrinsic function is an [Intrinsic], whichever of its two
// spellings the template uses: the short form (!Ref X, !GetAtt A.B, !Sub '…') and the long form
// ({"Ref": "X"}, {"Fn::GetAtt": ["A", "B"]}) read as the same value, so that checks never depend
// on the spelling.
//
// The package only reads; it does not resolve intrinsics, evaluate conditions or validate a
// template against the resource specification (cfn-lint does that). It lives under internal/
// because only the repository's own tests use it: no function links it, and it is no API.
package cfn
