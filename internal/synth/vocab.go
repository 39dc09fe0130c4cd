package synth

import "github.com/twowayrec/twoway/market"

// family is a job family: the latent "kind of work" that ties a profile's
// title, skills and pay together. Skills are listed from most to least
// typical; profiles draw the first ones more often.
type family struct {
	name   string
	titles []string
	skills []string
	pay    float64 // typical monthly pay in thousands of CNY at 0 years, tier-1 city
}

var families = [...]family{
	{"数据分析", []string{"数据分析师", "Data Analyst", "商业数据分析师", "BI工程师", "数据运营分析师"},
		[]string{"数据分析", "SQL", "Python", "Excel", "Tableau", "Hive", "统计学", "数据挖掘", "Spark", "SPSS", "BI", "机器学习"}, 13},
	{"Java后端", []string{"Java开发工程师", "Java后端工程师", "Senior Java Engineer", "Java高级工程师", "后端开发工程师"},
		[]string{"Java", "SpringBoot", "MySQL", "Redis", "Spring Cloud", "微服务", "Kafka", "分布式", "MyBatis", "JVM", "Dubbo", "Linux"}, 16},
	{"Python开发", []string{"Python开发工程师", "Python Developer", "Python后端工程师", "爬虫工程师"},
		[]string{"Python", "Django", "Flask", "MySQL", "爬虫", "Linux", "Redis", "Pandas", "Docker", "自动化测试"}, 14},
	{"前端开发", []string{"前端开发工程师", "Web前端工程师", "Frontend Engineer", "高级前端工程师"},
		[]string{"JavaScript", "Vue", "React", "TypeScript", "HTML5", "CSS", "Webpack", "Node.js", "小程序", "前端开发"}, 14},
	{"算法", []string{"算法工程师", "机器学习工程师", "推荐算法工程师", "Machine Learning Engineer", "NLP算法工程师"},
		[]string{"机器学习", "深度学习", "Python", "TensorFlow", "PyTorch", "推荐算法", "NLP", "计算机视觉", "C++", "算法"}, 24},
	{"产品经理", []string{"产品经理", "高级产品经理", "Product Manager", "B端产品经理"},
		[]string{"产品设计", "需求分析", "Axure", "原型设计", "用户研究", "数据分析", "项目管理", "B端产品"}, 16},
	{"运维", []string{"运维工程师", "DevOps工程师", "SRE工程师", "Linux运维工程师"},
		[]string{"Linux", "Docker", "Kubernetes", "Shell", "运维", "Jenkins", "Ansible", "Nginx", "Prometheus", "云计算"}, 13},
	{"测试", []string{"测试工程师", "自动化测试工程师", "QA Engineer", "测试开发工程师"},
		[]string{"自动化测试", "接口测试", "性能测试", "Selenium", "Python", "Jmeter", "测试用例", "Linux"}, 11},
	{"Go开发", []string{"Go开发工程师", "Golang工程师", "Go Backend Engineer", "云原生开发工程师"},
		[]string{"Go", "Golang", "微服务", "gRPC", "Kubernetes", "Redis", "MySQL", "分布式", "Docker"}, 20},
	{"运营", []string{"运营专员", "用户运营", "新媒体运营", "内容运营", "Operations Specialist"},
		[]string{"新媒体运营", "用户运营", "内容运营", "活动策划", "数据分析", "文案", "社群运营"}, 9},
}

// city is a city, how common it is, its pay level and a few districts.
type city struct {
	name      string
	weight    float64
	pay       float64
	districts []string
}

var cities = [...]city{
	{"北京", 0.20, 1.15, []string{"海淀区", "朝阳区", "东城区", "昌平区"}},
	{"上海", 0.18, 1.15, []string{"浦东新区", "徐汇区", "静安区", "闵行区"}},
	{"深圳", 0.14, 1.10, []string{"南山区", "福田区", "宝安区", "龙岗区"}},
	{"杭州", 0.10, 1.05, []string{"西湖区", "滨江区", "余杭区"}},
	{"广州", 0.09, 0.95, []string{"天河区", "海珠区", "番禺区"}},
	{"成都", 0.07, 0.85, []string{"高新区", "武侯区", "锦江区"}},
	{"南京", 0.06, 0.90, []string{"雨花台区", "鼓楼区", "江宁区", "玄武区"}},
	{"武汉", 0.06, 0.85, []string{"洪山区", "江夏区", "武昌区"}},
	{"西安", 0.05, 0.80, []string{"雁塔区", "高新区", "未央区"}},
	{"苏州", 0.05, 0.90, []string{"工业园区", "姑苏区", "吴中区"}},
}

var industries = [...]string{"互联网", "金融", "电子商务", "企业服务", "教育", "游戏", "医疗健康", "人工智能", "物流", "硬件"}

var companyHeads = [...]string{"星河", "云帆", "博远", "智汇", "蓝海", "启明", "天衡", "优品", "数联", "极光",
	"青藤", "鼎盛", "未来", "锐思", "华辰", "远景", "新程", "聚能", "易达", "睿知"}

var companyTails = [...]string{"科技有限公司", "网络科技有限公司", "信息技术有限公司", "数据科技有限公司", "智能科技有限公司"}

var benefits = [...]string{"五险一金", "弹性工作", "带薪年假", "股票期权", "年底双薪", "免费班车", "餐补", "定期体检", "扁平管理", "六险一金"}

var softSkills = [...]string{"沟通能力强", "团队合作", "学习能力强", "抗压能力", "责任心强", "Teamwork", "Self-motivated"}

// requirement ranges of experience a posting asks for (years), as postings
// write them: 经验不限, 应届生, 1-3年, 3-5年, 5-10年, 10年以上.
var expRanges = [...]market.Range{{Min: 0, Max: 0}, {Min: 0, Max: 1}, {Min: 1, Max: 3}, {Min: 3, Max: 5}, {Min: 5, Max: 10}, {Min: 10}}

var expRangeWeights = [...]float64{0.15, 0.07, 0.30, 0.30, 0.15, 0.03}
