package s3

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// ParseURL returns the Options that a store URL describes:
//
//	s3://BUCKET/PREFIX?endpoint=URL&region=R&public-endpoint=URL&path-style=true
//
// BUCKET is [Options.Bucket]. PREFIX, the path after the bucket, is
// [Options.Prefix], with a '/' added at its end if it has none: s3://b/x
// and s3://b/x/ both keep the key "k.jpg" as the object "x/k.jpg"; s3://b
// keeps it as "k.jpg". The parameters, all optional, are the fields of the
// same names: endpoint is [Options.Endpoint], public-endpoint
// [Options.PublicEndpoint], region [Options.Region], and path-style
// (true or false) [Options.PathStyle]. path-style is true by default when
// endpoint is given, since servers other than AWS mostly need it, and false
// otherwise. Endpoint URLs in parameters are escaped as query values
// usually are, though ':' and '/' may be left as they are.
//
// The other fields of Options keep their zero values, to be set by the
// caller. The credentials never come from the URL: they come from the
// standard AWS chain, so that a URL may be shown or logged.
//
// ParseURL returns a one-line error, starting "s3: store URL", that says
// what is wrong: another scheme, a user or password in the URL, an
// invalid bucket name, prefix or endpoint, an unknown or repeated
// parameter, or a path-style that is not true or false.
func ParseURL(rawURL string) (*Options, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("s3: store URL %q: %v", rawURL, unwrapURLError(err))
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("s3: store URL %q: "+format, append([]any{rawURL}, args...)...)
	}
	if u.Scheme != "s3" {
		return nil, bad("want s3://BUCKET/PREFIX?endpoint=URL&region=R")
	}
	if u.User != nil {
		return nil, bad("credentials do not go in the URL; they come from the AWS chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
	}
	if u.Fragment != "" || u.Opaque != "" {
		return nil, bad("want s3://BUCKET/PREFIX?endpoint=URL&region=R")
	}
	opts := &Options{Bucket: u.Host}
	if err := checkBucket(u.Host); err != nil {
		return nil, bad("%v", err)
	}
	if prefix := strings.TrimPrefix(u.Path, "/"); prefix != "" {
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		if err := checkPrefix(prefix); err != nil {
			return nil, bad("%v", err)
		}
		opts.Prefix = prefix
	}

	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, bad("parameters: %v", err)
	}
	pathStyle, hasPathStyle := "", false
	for name, values := range query {
		if len(values) != 1 {
			return nil, bad("parameter %s is given %d times", name, len(values))
		}
		v := values[0]
		switch name {
		case "endpoint", "public-endpoint":
			if err := checkEndpoint(v); err != nil {
				return nil, bad("%s: %v", name, err)
			}
			if name == "endpoint" {
				opts.Endpoint = v
			} else {
				opts.PublicEndpoint = v
			}
		case "region":
			if v == "" {
				return nil, bad("empty region")
			}
			opts.Region = v
		case "path-style":
			pathStyle, hasPathStyle = v, true
		default:
			return nil, bad("unknown parameter %q (want endpoint, public-endpoint, region or path-style)", name)
		}
	}
	opts.PathStyle = opts.Endpoint != ""
	if hasPathStyle {
		b, err := strconv.ParseBool(pathStyle)
		if err != nil {
			return nil, bad("path-style=%s: want true or false", pathStyle)
		}
		opts.PathStyle = b
	}
	return opts, nil
}

// unwrapURLError returns the cause in a *url.Error, whose text would
// repeat the URL.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
