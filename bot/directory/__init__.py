"""The directory (issue 9 item 4): units with their parent unit, people with their real name,
unit, platform accounts and roles, and the group registry — stored in the database and seeded
from config on every start."""
