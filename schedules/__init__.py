"""Everything that happens because time passes: plans, planner, escalation, dispatcher."""
