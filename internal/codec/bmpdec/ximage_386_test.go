// Package scaler does not build for 386 (see ximage_test.go): the fuzz
// target leaves out its comparison with x/image there.

//go:build 386

package bmpdec_test

import "image"

// stdGray returns errNoStdGray.
func stdGray([]byte) (*image.Gray, error) { return nil, errNoStdGray }
