"""The lab kit: labs carved from the solution tree, handed out, and graded with pytest.

A lab is a folder labs/<name>/ (catalog.py); what students write is marked in the
solution tree (markers.py); handout.py writes a student tree, grade.py runs the
instructor's graders on any tree, report.py writes the results (a table, JSON, JUnit,
Gradescope), autograder.py packs a Gradescope autograder. docs/labs.md is the guide.
"""
