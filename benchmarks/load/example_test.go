package load_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/twowayrec/twoway/benchmarks/load"
)

func ExampleReadProfilesCSV() {
	in := "id,side,title,city,experience,education,salary,skills\n" +
		"j1,recruiter,Java开发工程师,南京,3-5年,本科,20-40K·16薪,Java|SpringBoot|MySQL\n" +
		"s1,seeker,Java工程师,南京,4年,硕士,25k-30k,Java;Redis\n"
	ps, err := load.ReadProfilesCSV(strings.NewReader(in), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	for _, p := range ps {
		fmt.Println(p.ID, p.Side, p.Experience, p.Education, p.Salary.Min, p.Salary.Max, p.Salary.Months, p.Skills)
	}
	_, err = load.ReadProfilesCSV(strings.NewReader("id,side,salary\ns2,seeker,a lot\n"), time.Time{})
	fmt.Println(err)
	// Output:
	// j1 recruiter {3 5} bachelor 20000 40000 16 [Java SpringBoot MySQL]
	// s1 seeker {4 4} master 25000 30000 0 [Java Redis]
	// load: line 2: field salary: market: cannot parse salary "a lot": not a number with a unit
}
