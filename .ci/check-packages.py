#!/usr/bin/env python3
"""Checks what `dotnet pack Serve.Gen.sln` produced: every package a user needs, with complete metadata, the
files that make it work (the generator as an analyzer, the build files, the templates) and the dependencies
that bring the rest. Usage: check-packages.py FEED_FOLDER VERSION. Exits 1 listing every problem."""
import sys
import zipfile
import xml.etree.ElementTree as ET
from pathlib import Path

feed, version = Path(sys.argv[1]), sys.argv[2]
problems = []
NS = {"n": ""}  # set per package: nuspec files use more than one schema namespace

# id -> (files that must be in the package, dependencies that must be declared, symbols package expected)
EXPECTED = {
    "Serve": (
        ["analyzers/dotnet/cs/Serve.Generators.dll", "build/Serve.props", "build/Serve.targets", "lib/net10.0/_._"],
        ["Serve.Runtime", "Google.Protobuf", "Grpc.Tools"],
        False,
    ),
    "Serve.Runtime": (
        ["lib/net10.0/Serve.Runtime.dll", "lib/net10.0/Serve.Runtime.xml", "build/Serve.Runtime.targets"],
        ["Serve.Abstractions", "Google.Protobuf", "YamlDotNet", "System.CommandLine", "Serilog.Extensions.Logging", "Serilog.Sinks.File", "Serilog.Sinks.Console"],
        True,
    ),
    "Serve.Abstractions": (
        ["lib/net10.0/Serve.Abstractions.dll", "lib/net10.0/Serve.Abstractions.xml"],
        ["Google.Protobuf"],
        True,
    ),
    "Serve.Templates": (
        [
            "content/serve-grpc/.template.config/template.json",
            "content/serve-grpc/.template.config/dotnetcli.host.json",
            "content/serve-grpc/ServeGrpc.csproj",
            "content/serve-grpc/Protos/greeter.proto",
            "content/serve-http/.template.config/template.json",
            "content/serve-http/ServeHttp.csproj",
        ],
        [],
        False,
    ),
}


def text(meta, tag):
    node = meta.find(f"n:{tag}", NS)
    return (node.text or "").strip() if node is not None else ""


for package_id, (files, dependencies, symbols) in EXPECTED.items():
    path = feed / f"{package_id}.{version}.nupkg"
    if not path.exists():
        problems.append(f"{path.name}: missing")
        continue
    with zipfile.ZipFile(path) as package:
        names = set(package.namelist())
        generator = "analyzers/dotnet/cs/Serve.Generators.dll"
        # The generator's symbols are embedded in it (an embedded portable PDB starts with "MPDB").
        if generator in names and b"MPDB" not in package.read(generator):
            problems.append(f"{path.name}: {generator} has no embedded PDB")
        root = ET.fromstring(package.read(f"{package_id}.nuspec"))
        NS["n"] = root.tag[1:root.tag.index("}")] if root.tag.startswith("{") else ""
        meta = root.find("n:metadata", NS)
        for tag in ("id", "version", "description", "authors", "tags", "readme", "projectUrl"):
            if not text(meta, tag):
                problems.append(f"{package_id}: no <{tag}>")
        if text(meta, "version") != version:
            problems.append(f"{package_id}: version {text(meta, 'version')}, expected {version}")
        license_node = meta.find("n:license", NS)
        if license_node is None or license_node.get("type") != "expression" or not (license_node.text or "").strip():
            problems.append(f"{package_id}: no license expression")
        repository = meta.find("n:repository", NS)
        if repository is None or not repository.get("url"):
            problems.append(f"{package_id}: no repository url")
        if text(meta, "readme") and text(meta, "readme") not in names:
            problems.append(f"{package_id}: readme {text(meta, 'readme')} is not in the package")
        for name in files:
            if name not in names:
                problems.append(f"{package_id}: {name} is not in the package")
        declared = {d.get("id"): d for d in meta.iterfind(".//n:dependency", NS)}
        for dependency in dependencies:
            if dependency not in declared:
                problems.append(f"{package_id}: no dependency on {dependency}")
        if package_id == "Serve":
            # Grpc.Tools' build files compile the user's .proto files: they must reach the user's project.
            grpc_tools = declared.get("Grpc.Tools")
            if grpc_tools is not None and "build" in (grpc_tools.get("exclude") or "").lower():
                problems.append("Serve: Grpc.Tools' build assets are excluded, so .proto files would not compile")
            runtime = declared.get("Serve.Runtime")
            if runtime is not None and runtime.get("version") not in (version, f"[{version}]"):
                problems.append(f"Serve: depends on Serve.Runtime {runtime.get('version')}, expected {version}")
        if package_id == "Serve.Templates":
            types = [t.get("name") for t in meta.iterfind(".//n:packageType", NS)]
            if "Template" not in types:
                problems.append(f"Serve.Templates: package type {types}, expected Template")
            for name in names:
                if name.endswith(".csproj"):
                    content = package.read(name).decode("utf-8")
                    if "SERVE_PACKAGE_VERSION" in content or "ProjectReference" in content and "Tests" not in name:
                        problems.append(f"Serve.Templates: {name} has an unreplaced version or a project reference")
            for name in ("content/serve-grpc/ServeGrpc.csproj", "content/serve-http/ServeHttp.csproj"):
                if name in names and f'<PackageReference Include="Serve" Version="{version}" />' not in package.read(name).decode("utf-8"):
                    problems.append(f"Serve.Templates: {name} does not reference Serve {version}")
    if symbols:
        symbols_path = feed / f"{package_id}.{version}.snupkg"
        if not symbols_path.exists():
            problems.append(f"{symbols_path.name}: missing")
        else:
            with zipfile.ZipFile(symbols_path) as package:
                if f"lib/net10.0/{package_id}.pdb" not in package.namelist():
                    problems.append(f"{symbols_path.name}: no lib/net10.0/{package_id}.pdb")

if problems:
    print("package problems:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"packages {version}: {', '.join(EXPECTED)} complete")
