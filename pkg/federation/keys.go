package federation

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// Secrets keep the actor's private key: SSM Parameter Store (a SecureString) in AWS, a 0600 file in
// the local runner's data folder. Neither the key nor anything derived from it is ever in the
// repository, the template or the logs.
type Secrets interface {
	// Get returns the secret, or ErrNoSecret.
	Get(ctx context.Context) (string, error)
	// Create stores value if there is no secret yet, else returns ErrSecretExists and changes
	// nothing: whoever creates first wins, and everyone else reads the winner's.
	Create(ctx context.Context, value string) error
}

var (
	// ErrNoSecret: nothing is stored yet.
	ErrNoSecret = errors.New("federation: no secret stored")
	// ErrSecretExists: a secret was stored first by someone else.
	ErrSecretExists = errors.New("federation: secret already stored")
)

// keyBits is the size of the actor's RSA key: what Mastodon and GoToSocial make and expect.
const keyBits = 2048

// LoadKey returns the actor's private key, made once per deployment: the first caller generates
// it and stores it with a create-if-absent, and a caller that loses that race reads the winner's.
// It is the same after any restart.
func LoadKey(ctx context.Context, s Secrets) (*rsa.PrivateKey, error) {
	pemText, err := s.Get(ctx)
	if errors.Is(err, ErrNoSecret) {
		key, gerr := rsa.GenerateKey(rand.Reader, keyBits)
		if gerr != nil {
			return nil, fmt.Errorf("federation: generate the actor key: %w", gerr)
		}
		der, merr := x509.MarshalPKCS8PrivateKey(key)
		if merr != nil {
			return nil, fmt.Errorf("federation: encode the actor key: %w", merr)
		}
		pemText = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		switch err = s.Create(ctx, pemText); {
		case errors.Is(err, ErrSecretExists):
			pemText, err = s.Get(ctx)
		case err == nil:
			return key, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("federation: load the actor key: %w", err)
	}
	return parseKey(pemText)
}

func parseKey(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("federation: the stored actor key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("federation: the stored actor key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() < keyBits {
		return nil, errors.New("federation: the stored actor key is not an RSA key of 2048 bits or more")
	}
	return rk, nil
}
