package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// foldRune maps a full-width ASCII variant (Ａ, ｊ, ＋, ＃, ．) and the
// ideographic space to its ASCII form, a Kangxi or supplementary radical
// to its ideograph (⾯ → 面), and lower-cases letters. Other runes are
// returned unchanged.
func foldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFF01 - 0x21
	case r == 0x3000:
		return ' '
	case r >= 0x2F00 && r <= 0x2FD5:
		return kangxiRadicals[r-0x2F00]
	case r >= 0x2E80 && r <= 0x2EF3:
		if m, ok := radicalSupplement[r]; ok {
			return m
		}
		return r
	}
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	return unicode.ToLower(r)
}

// isHan reports whether r is a CJK ideograph, the runes gse segments.
func isHan(r rune) bool {
	if r < 0x2E80 {
		return false
	}
	return unicode.Is(unicode.Han, r)
}

// isWordRune reports whether r (already folded) belongs to a Latin-script
// word or number: letters and digits that are not Han ideographs.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z'
	}
	if r == utf8.RuneError || isHan(r) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// Fold returns the lookup key of a skill or tag label: full-width forms
// folded to ASCII, lower case, and spaces, hyphens, underscores and dots
// removed, so that "Spring Boot", "spring-boot", "ＳｐｒｉｎｇＢｏｏｔ" and
// "springboot" share the key "springboot", and "Node.js" and "NodeJS" share
// "nodejs". Invalid UTF-8 is dropped. Fold is the key every [Vocabulary]
// lookup uses.
func Fold(label string) string {
	var b strings.Builder
	b.Grow(len(label))
	for i := 0; i < len(label); {
		r, n := utf8.DecodeRuneInString(label[i:])
		i += n
		if r == utf8.RuneError && n <= 1 {
			continue
		}
		r = foldRune(r)
		if r == ' ' || r == '-' || r == '_' || r == '.' || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// appendFolded appends the fold key of s (see [Fold]) to dst.
func appendFolded(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ' || c == '-' || c == '_' || c == '.' || c == '\t' || c == '\n' || c == '\r':
				continue
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError && n <= 1 {
			continue
		}
		r = foldRune(r)
		if r == ' ' || r == '-' || r == '_' || r == '.' || unicode.IsSpace(r) {
			continue
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// Clean returns label trimmed, folded to lower case and half-width, with
// runs of white space collapsed to one space: the display form of a label
// that no [Vocabulary] knows ("  Data  MINING " → "data mining").
func Clean(label string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(label); {
		r, n := utf8.DecodeRuneInString(label[i:])
		i += n
		if r == utf8.RuneError && n <= 1 {
			continue
		}
		r = foldRune(r)
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
