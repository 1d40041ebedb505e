"""Landing-zone fixtures with the extraction's layout: gzipped JSON lines plus a manifest beside them."""
import copy
import gzip
import hashlib
import json
from pathlib import Path
from typing import Iterable, List, Optional, Union

PREFIXES = {
    "users": "api/users",
    "sessions": "api/sessions",
    "songs": "db/songs",
    "concerts": "ext/concerts",
    "artist_stats": "ext/artist_stats",
}


def user(user_id: str = "0b9ad1a4-5c1f-4a58-9d7e-2d0c8e6b7f01", **overrides) -> dict:
    record = {
        "user_id": user_id,
        "user_name": "Ada",
        "user_lastname": "Lovelace",
        "user_location": ["51.50853", "-0.12574", "London", "GB", "Europe/London"],
        "user_since": "2020-01-15T08:30:00",
    }
    record.update(overrides)
    return record


def item(song_id: str = "TRAAAAW128F429D538", **overrides) -> dict:
    record = {
        "song_id": song_id,
        "song_name": "I Didn't Mean To",
        "artist_id": "ARD7TVE1187B99BFB1",
        "artist_name": "Casual",
        "price": 0.99,
        "currency": "USD",
        "liked": True,
        "liked_since": "2020-02-01T10:00:00.123456+02:00",
    }
    record.update(overrides)
    return record


def session(session_id: str = "6f1d2c3b-0a9e-4e1f-8b7a-5c4d3e2f1a00", items: Optional[List[dict]] = None,
            **overrides) -> dict:
    record = {
        "user_id": "0b9ad1a4-5c1f-4a58-9d7e-2d0c8e6b7f01",
        "session_id": session_id,
        "session_items": items if items is not None else [item(), item("TRAAABD128F429CF47", price=1.29, liked=False,
                                                                      liked_since=None)],
        "user_agent": "Mozilla/5.0",
        "session_start_time": "2020-02-01T09:15:00Z",
    }
    record.update(overrides)
    return record


def song(track_id: str = "TRAAAAW128F429D538", **overrides) -> dict:
    record = {
        "track_id": track_id,
        "title": "I Didn't Mean To",
        "song_id": "SOMZWCG12A8C13C480",
        "release": "Fear Itself",
        "artist_id": "ARD7TVE1187B99BFB1",
        "artist_mbid": "e77e51a5-4761-45b3-9847-2051f811e366",
        "artist_name": "Casual",
        "duration": 218.93179,
        "artist_familiarity": 0.581793766,
        "artist_hotttnesss": 0.401997543,
        "year": 0,
        "track_7digitalid": 7032331,
        "shs_perf": -1,
        "shs_work": 0,
    }
    record.update(overrides)
    return record


def attraction(attraction_id: str = "K8vZ917Gku7", name: str = "Casual", mbid: Optional[str] = None) -> dict:
    """An attraction as the concerts API serves it; ``externalLinks`` only when it has a MusicBrainz id."""
    record = {"id": attraction_id, "name": name}
    if mbid is not None:
        record["externalLinks"] = {"musicbrainz": [{"id": mbid}]}
    return record


def concert(event_id: str = "vvG1zZ9Kb5d3pQ", attractions: Optional[List[dict]] = None, **overrides) -> dict:
    """A Ticketmaster Discovery v2 event (docs/artist-enrichment.md), one landing line."""
    record = {
        "id": event_id,
        "name": "Casual live",
        "dates": {"start": {"localDate": "2020-02-10", "localTime": "20:00:00"}},
        "_embedded": {
            "venues": [
                {"id": "KovZpZA7AAEA", "name": "O2 Academy", "city": {"name": "London"},
                 "country": {"countryCode": "GB"}}
            ],
            "attractions": attractions if attractions is not None else [
                attraction(mbid="e77e51a5-4761-45b3-9847-2051f811e366"), attraction("K8vZ9171o-7", "The Support")
            ],
        },
    }
    record.update(overrides)
    return record


def artist_stats(artist_id: str = "ARD7TVE1187B99BFB1", found: bool = True, **overrides) -> dict:
    """One catalog artist looked up in the statistics API: the lookup and the Last.fm ``artist`` object."""
    response = {
        "name": "Casual",
        "mbid": "e77e51a5-4761-45b3-9847-2051f811e366",
        "stats": {"listeners": "12345", "playcount": "678901"},
        "tags": {"tag": [{"name": "Hip-Hop"}, {"name": "rap"}]},
    }
    record = {
        "artist_id": artist_id,
        "artist_mbid": "e77e51a5-4761-45b3-9847-2051f811e366",
        "artist_name": "Casual",
        "lookup": "mbid",
        "found": found,
        "response": response if found else None,
    }
    record.update(overrides)
    return record


def window(country_code: str = "GB", start_date: str = "2020-02-02", end_date: str = "2020-03-02",
           total_elements: int = 1, pages: int = 1, records: Optional[int] = None) -> dict:
    return {"country_code": country_code, "start_date": start_date, "end_date": end_date,
            "total_elements": total_elements, "pages": pages,
            "records": total_elements if records is None else records}


def deep(record: dict) -> dict:
    return copy.deepcopy(record)


Line = Union[dict, str]


def write_extract(landing: Path, source: str, run_date: str, records: Iterable[Line],
                  manifest: bool = True, manifest_overrides: Optional[dict] = None) -> Path:
    """Writes ``<landing>/<prefix>/ingest_on=D/<source>.jsonl.gz`` (dicts as JSON, strings as given) and,
    unless ``manifest=False``, its ``_manifest.json`` as the extraction writes it (fields replaced by
    ``manifest_overrides``). Returns the data path."""
    prefix = f"{PREFIXES[source]}/ingest_on={run_date}"
    directory = landing / prefix
    directory.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r) if isinstance(r, dict) else r for r in records]
    data = gzip.compress("".join(line + "\n" for line in lines).encode("utf-8"), mtime=0)
    data_path = directory / f"{source}.jsonl.gz"
    data_path.write_bytes(data)
    if manifest:
        document = {
            "manifest_version": 1,
            "entity": source,
            "run_date": run_date,
            "key": f"{prefix}/{source}.jsonl.gz",
            "records": len(lines),
            "rejected": 0,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        document.update(manifest_overrides or {})
        (directory / "_manifest.json").write_text(json.dumps(document))
    return data_path
