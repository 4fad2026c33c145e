//go:build tools

// Package tools pins GoToSocial, the fediverse server of the federation end-to-end test. This
// module is not part of Soundtime's: its go.mod carries the two replace directives GoToSocial's
// own go.mod has (which is why `go install …@v0.18.3` refuses it), and its go.sum pins every
// module of the build, three of which the checksum database does not know. `make gotosocial`
// builds the server from here with -mod=readonly into .tools/bin; this import keeps
// `go mod tidy` from dropping the requirement.
package tools

import _ "github.com/superseriousbusiness/gotosocial/cmd/gotosocial"
