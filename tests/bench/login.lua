-- wrk: POST /token with the bench admin's form (BENCH_LOGIN_BODY-free: the body is fixed here).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "username=admin%40example.com&password=bench+password+123"
