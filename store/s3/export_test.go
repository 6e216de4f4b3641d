package s3

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	s3api "github.com/aws/aws-sdk-go-v2/service/s3"
)

// PresignAt makes s sign the URLs of PresignGet as if the time were at,
// so that tests can make URLs that have expired already.
func PresignAt(s *Store, at time.Time) {
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	s.presigner = s3api.NewPresignClient(s.public, func(o *s3api.PresignOptions) {
		o.Presigner = clockPresigner{signer, at}
	})
}

// clockPresigner presigns with p as if at a given time.
type clockPresigner struct {
	p  *v4.Signer
	at time.Time
}

func (c clockPresigner) PresignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request,
	payloadHash, service, region string, _ time.Time, optFns ...func(*v4.SignerOptions)) (string, http.Header, error) {
	return c.p.PresignHTTP(ctx, creds, r, payloadHash, service, region, c.at, optFns...)
}
