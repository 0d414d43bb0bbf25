import PerigeeRuntime
print(perigeeVersion)
