package market

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnparsable is the reason of every *ParseError.
var ErrUnparsable = errors.New("market: unparsable field")

// ParseError reports a raw posting field that cannot be turned into a typed
// value. Field names the field ("salary", "experience", "education",
// "location"); Input is the raw text.
type ParseError struct {
	Field string
	Input string
	Msg   string
}

func (e *ParseError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("market: cannot parse %s %q", e.Field, e.Input)
	}
	return fmt.Sprintf("market: cannot parse %s %q: %s", e.Field, e.Input, e.Msg)
}

// Unwrap returns ErrUnparsable.
func (e *ParseError) Unwrap() error { return ErrUnparsable }

// ParseEducation reads an education field of a posting or résumé: "本科",
// "大专", "硕士", "博士", "中专/中技", "高中", "学历不限", "不限", or the
// English names. For a requirement such as "本科及以上" it returns the
// minimum level.
func ParseEducation(s string) (Education, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, suf := range []string{"及以上", "以上", "学历"} {
		t = strings.TrimSuffix(t, suf)
	}
	switch t {
	case "", "不限", "学历不限", "无", "无学历要求", "any", "unlimited":
		return EducationAny, nil
	case "小学", "初中", "初中及以下", "primary":
		return EducationPrimary, nil
	case "高中", "中专", "中技", "中专/中技", "中专/中技/高中", "高中/中专/中技", "职高", "secondary":
		return EducationSecondary, nil
	case "大专", "专科", "associate", "college":
		return EducationAssociate, nil
	case "本科", "统招本科", "bachelor", "bachelor's":
		return EducationBachelor, nil
	case "硕士", "研究生", "mba", "mba/emba", "master", "master's":
		return EducationMaster, nil
	case "博士", "博士后", "doctorate", "phd":
		return EducationDoctorate, nil
	}
	return 0, &ParseError{Field: "education", Input: s}
}
