package httpsig

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// maxPEMLen caps the publicKeyPem read from another server: an 8192-bit key is about 1.5 KB.
const maxPEMLen = 16 << 10

// ParsePublicKeyPEM reads the publicKeyPem of an actor: an RSA key as a PKIX "PUBLIC KEY" block
// (what Mastodon and GoToSocial publish) or a PKCS #1 "RSA PUBLIC KEY" block (what some older
// servers publish), of 2048 to 8192 bits. Anything else, an Ed25519 key included, is an *Error
// wrapping ErrUnsupportedAlgorithm; text that is not such a PEM block is one wrapping
// ErrMalformed.
func ParsePublicKeyPEM(s string) (*rsa.PublicKey, error) {
	if len(s) > maxPEMLen {
		return nil, fail(ErrMalformed, "", "publicKeyPem of %d bytes", len(s))
	}
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, fail(ErrMalformed, "", "publicKeyPem is not PEM")
	}
	var key *rsa.PublicKey
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fail(ErrMalformed, "", "publicKeyPem: %v", err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fail(ErrUnsupportedAlgorithm, "", "publicKeyPem holds a %T", k)
		}
		key = rk
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fail(ErrMalformed, "", "publicKeyPem: %v", err)
		}
		key = k
	default:
		return nil, fail(ErrUnsupportedAlgorithm, "", "publicKeyPem block %s", quote(block.Type))
	}
	if bits := key.N.BitLen(); bits < minKeyBits || bits > maxKeyBits {
		return nil, fail(ErrUnsupportedAlgorithm, "", "RSA key of %d bits", bits)
	}
	return key, nil
}

// MarshalPublicKeyPEM encodes key as the PKIX "PUBLIC KEY" PEM block an actor's publicKeyPem
// carries, the form ParsePublicKeyPEM and every fediverse server read.
func MarshalPublicKeyPEM(key *rsa.PublicKey) (string, error) {
	if key == nil {
		return "", errors.New("httpsig: marshal public key: no key")
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", fmt.Errorf("httpsig: marshal public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}
