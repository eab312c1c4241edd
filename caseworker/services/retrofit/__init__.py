"""Programme 2 use cases (居家适老化改造): catalogue, contractors, cases, assessment, photos,
lists, printing data and figures. Each takes `(session, actor, …)` and checks permission first."""
