package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/realdata"
)

// TestGeneratedFileIsCurrent regenerates the dictionary from the real
// postings and checks that text/skills.tsv is what the generator writes
// today (run `cd text && go generate` when it is not).
func TestGeneratedFileIsCurrent(t *testing.T) {
	dir := filepath.Dir(realdata.Require(t, "jobs-zh/zhilian_2020_python_beijing.jsonl"))
	var buf bytes.Buffer
	st, err := generate(dir, &buf)
	require.NoError(t, err)
	assert.Greater(t, st.postings, 9000)
	committed, err := os.ReadFile(filepath.Join("..", "..", "..", "text", "skills.tsv"))
	require.NoError(t, err)
	assert.Equal(t, string(committed), buf.String(), "text/skills.tsv is stale: run go generate in text/")
	assert.Contains(t, buf.String(), "\nspring boot\t")
	assert.Contains(t, buf.String(), "\n数据分析\t")
}

func TestClean(t *testing.T) {
	assert.Equal(t, []string{"C", "C++"}, clean("C/C++"))
	assert.Equal(t, []string{"Java"}, clean("熟悉Java开发经验"))
	assert.Empty(t, clean("无"))
	assert.Empty(t, clean("熟练掌握"), "lead words alone")
	for raw, want := range map[string]string{"熟练掌握MySQL": "MySQL", "有高并发经验": "高并发", "对Tomcat": "Tomcat", "对 spring": "spring",
		"如Redis": "Redis", "与产品经理": "产品经理", "部署nginx": "nginx", "应用mysql": "mysql", "应用开发": "应用开发",
		"有限元分析": "有限元分析", "对冲基金": "对冲基金"} {
		assert.Equal(t, []string{want}, clean(raw), raw)
	}
	for _, s := range clean("1.熟练掌握开发知识技能，JAVA/Python等编程语言熟练掌握一种或一种以上；") {
		assert.False(t, strings.ContainsAny(s, "，；"), s)
	}
	assert.Equal(t, []string{"数据分析", "SQL"}, pyList("['数据分析', 'SQL']"))
}
