package text

import (
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBleveAnalyzer(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { assert.NoError(t, RegisterBleve()) })
	}
	wg.Wait()
	require.NoError(t, RegisterBleve()) // idempotent

	in := "熟悉SpringBoot和机器学习"
	ts := NewBleveAnalyzer(DefaultTokenizer()).Analyze([]byte(in))
	var terms []string
	for i, tok := range ts {
		terms = append(terms, string(tok.Term))
		assert.Equal(t, i+1, tok.Position)
	}
	assert.Equal(t, DefaultTokenizer().Terms(in), terms)
	assert.Equal(t, "SpringBoot", in[ts[1].Start:ts[1].End])

	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = BleveAnalyzer
	idx, err := bleve.NewMemOnly(m)
	require.NoError(t, err)
	defer idx.Close()
	require.NoError(t, idx.Index("j1", map[string]string{"text": "熟悉Spring Boot框架，了解K8s"}))
	require.NoError(t, idx.Index("j2", map[string]string{"text": "负责数据分析，精通SQL与Excel"}))
	for q, want := range map[string]string{"springboot": "j1", "kubernetes": "j1", "sql": "j2", "数据分析": "j2"} {
		mq := bleve.NewMatchQuery(q)
		mq.Analyzer = BleveAnalyzer
		res, err := idx.Search(bleve.NewSearchRequest(mq))
		require.NoError(t, err)
		require.Equal(t, uint64(1), res.Total, q)
		assert.Equal(t, want, res.Hits[0].ID, q)
	}

	sm := bleve.NewIndexMapping()
	sm.DefaultAnalyzer = BleveSearchAnalyzer
	sidx, err := bleve.NewMemOnly(sm)
	require.NoError(t, err)
	defer sidx.Close()
	require.NoError(t, sidx.Index("x", map[string]string{"text": "中华人民共和国"}))
	mq := bleve.NewMatchQuery("人民")
	res, err := sidx.Search(bleve.NewSearchRequest(mq))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), res.Total)
}
