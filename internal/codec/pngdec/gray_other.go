//go:build !amd64

package pngdec

func rgba8(dst, src []byte)      { rgba8Go(dst, src) }
func rgb8(dst, src []byte)       { rgb8Go(dst, src) }
func grayAlpha8(dst, src []byte) { grayAlpha8Go(dst, src) }
