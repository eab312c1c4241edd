"""Reading scanned paper forms: pages from the scanner's files (`pages`), each page's code,
frame, tick boxes and handwritten areas (`reader`), and what each printed form looks like to
the reader (`templates`). No Qt and no database here: caseworker.services.scans matches the
pages to their records."""
