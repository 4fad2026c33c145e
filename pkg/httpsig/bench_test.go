package httpsig_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/soundtime/soundtime/pkg/httpsig"
)

// BenchmarkVerify is the CPU an inbox spends on a signature: Parse (the Signature header, the
// policy, the Digest of a realistic 2 KB Create{Note}, the signing string) and Verify (RSA-2048),
// for a Mastodon-style POST. Compare it with BenchmarkRSAVerifyPKCS1v15 in the same run; the
// target is at most 1.5 times.
func BenchmarkVerify(b *testing.B) {
	a, _ := testKeys(b)
	r, body := signedReq{body: inboxBody}.build(b)
	if _, err := verify(r, body, &a.PublicKey, now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := httpsig.Parse(r, body, now)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Verify(&a.PublicKey); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSAVerifyPKCS1v15 is the floor: the bare RSA verification of a signature by the same
// 2048-bit key, its hash computed beforehand.
func BenchmarkRSAVerifyPKCS1v15(b *testing.B) {
	a, _ := testKeys(b)
	hash := sha256.Sum256([]byte("(request-target): post /ap/inbox\nhost: soundtime.example\ndate: Wed, 02 Dec 2026 01:13:34 GMT"))
	sig, err := rsa.SignPKCS1v15(nil, a, crypto.SHA256, hash[:])
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := rsa.VerifyPKCS1v15(&a.PublicKey, crypto.SHA256, hash[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParse is the part of BenchmarkVerify that is not RSA: the overhead the ratio measures,
// shown alone because RSA's time dominates and varies on a shared machine.
func BenchmarkParse(b *testing.B) {
	r, body := signedReq{body: inboxBody}.build(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := httpsig.Parse(r, body, now); err != nil {
			b.Fatal(err)
		}
	}
}
