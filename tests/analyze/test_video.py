"""Videos (issue 16, first slice): container metadata through the photo checks (the place a phone wrote, names),
faces in sampled frames with their time codes, damaged files as not checked, found on a served site."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skimage.data
from click.testing import CliRunner
from PIL import Image

from auditor.analyze.faces import Thresholds, analyse
from auditor.analyze.video import UnreadableVideo, frames, iso6709, read_metadata
from auditor.cli import main
from tests.analyze import videos
from tests.server import Route, Site


def _findings(out: Path) -> dict[str, list[dict[str, Any]]]:
    document = json.loads((out / "findings.json").read_text())
    found: dict[str, list[dict[str, Any]]] = {}
    for f in document["findings"]:
        found.setdefault(f["check"], []).append(f)
    return found


def test_metadata_is_read_without_decoding(tmp_path: Path) -> None:
    path = videos.make(tmp_path / "v.mp4", tags={"location": "+51.5007-000.1246+012.000/", "artist": "Jo Teacher"})
    meta = read_metadata(path, 10**8)
    assert meta.location == (51.5007, -0.1246, 12.0) and meta.location_tag == "QuickTime:location"
    assert meta.names == {"QuickTime:artist": "Jo Teacher"} and meta.width == 640 and meta.duration_s == 8.0
    assert iso6709("+00.0000+000.0000/") is None and iso6709("nonsense") is None
    with pytest.raises(UnreadableVideo, match="pixel limit"):
        read_metadata(path, 640 * 639)


def test_frames_are_sampled_every_two_seconds_and_capped(tmp_path: Path) -> None:
    path = videos.make(tmp_path / "v.mp4", seconds=9)
    assert [round(t) for t, _ in frames(path, 2.0, 120, 600, 1920)] == [0, 2, 4, 6, 8]
    assert [round(t) for t, _ in frames(path, 2.0, 2, 600, 1920)] == [0, 2]
    assert [round(t) for t, _ in frames(path, 2.0, 120, 3, 1920)] == [0, 2]
    assert {f.shape for _, f in frames(path, 4.0, 120, 600, 320)} == {(320, 320, 3)}


def test_check_reports_place_names_and_faces_with_time_codes(tmp_path: Path) -> None:
    folder = tmp_path / "sports-day"
    folder.mkdir()
    tags = {"location": "+51.5007-000.1246/", "artist": "Jo Teacher"}
    videos.make(folder / "relay.mp4", seconds=10, face_from=4.0, face_to=8.0, tags=tags)
    videos.make(folder / "empty-field.webm", seconds=4, face_from=None)
    (folder / "broken.mp4").write_bytes((folder / "relay.mp4").read_bytes()[:3000])
    result = CliRunner().invoke(main, ["check", str(folder), "--out", str(tmp_path / "o"), "--no-state"])
    found = _findings(tmp_path / "o")
    gps = found["gps_location"][0]
    assert gps["asset"].endswith("relay.mp4") and gps["evidence"]["field"] == "QuickTime:location", result.output
    assert gps["evidence"]["lat"] == 51.5007
    assert found["person_name_metadata"][0]["evidence"]["fields"] == {"QuickTime:artist": "Jo Teacher"}
    face = found["identifiable_face"][0]
    assert face["asset"].endswith("relay.mp4")
    assert face["evidence"]["time_codes"] == ["0:04", "0:06"] and face["evidence"]["frames_sampled"] == 5
    assert face["evidence"]["frame_time"] in ("0:04", "0:06") and face["evidence"]["largest_iod_px"] > 30
    assert not any(f["asset"].endswith("empty-field.webm") for fs in found.values() for f in fs)
    broken = [f for f in found["not_checked"] if f["asset"].endswith("broken.mp4")]
    assert len(broken) == 1
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    kinds = {a["url"].rsplit("/", 1)[-1]: a["type"] for a in document["assets"]}
    assert kinds["relay.mp4"] == "video" and kinds["empty-field.webm"] == "video"
    assert result.exit_code in (0, 1, 3)
    # The report shows the video as a contact sheet of its face frames (two here, side by side), faces covered.
    report = (tmp_path / "o" / "report.html").read_text()
    card = report[report.index('data-url="' + (folder / "relay.mp4").as_uri()) :]
    sheet = Image.open(io.BytesIO(base64.b64decode(card.split('src="data:image/jpeg;base64,', 1)[1].split('"', 1)[0])))
    assert sheet.width > 1.8 * sheet.height
    assert analyse(np.asarray(sheet.convert("RGB")), Thresholds()) == []  # no face survives in the report


def test_a_scan_finds_videos_in_markup(tmp_path: Path) -> None:
    clip = videos.make(tmp_path / "clip.mp4", seconds=4, face_from=0.0, face_to=4.0).read_bytes()
    page = (
        "<html><body><video poster='/poster.jpg' controls><source src='/media/play' type='video/mp4'></video>"
        "<a href='/docs/tour.mp4'>Tour</a></body></html>"
    )
    from tests.analyze import images

    routes = {
        "/": Route(page),
        "/media/play": Route(clip, content_type="video/mp4"),
        "/docs/tour.mp4": Route(clip, content_type="video/mp4"),
        "/poster.jpg": Route(images.jpeg(), content_type="image/jpeg"),
        "/robots.txt": Route("", status=404),
    }
    with Site(routes).serve() as base:
        args = ["scan", base + "/", "--out", str(tmp_path / "o"), "--no-state", "--render", "never", "--rate", "200"]
        CliRunner().invoke(main, args)
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    kinds = {a["url"].split("/", 3)[-1]: a["type"] for a in document["assets"]}
    assert (
        kinds.get("media/play") == "video" and kinds.get("docs/tour.mp4") == "video" and kinds["poster.jpg"] == "image"
    )
    faces = [f for f in document["findings"] if f["check"] == "identifiable_face"]
    assert len(faces) == 1 and faces[0]["evidence"]["time_codes"] == ["0:00", "0:02"]  # the same file twice: once
    assert {faces[0]["asset"], *faces[0]["evidence"]["also_at"]} == {base + "/media/play", base + "/docs/tour.mp4"}


def _frame_hashes(path: Path) -> list[str]:
    import hashlib

    import av

    with av.open(str(path)) as container:
        return [hashlib.sha256(f.to_ndarray(format="rgb24").tobytes()).hexdigest() for f in container.decode(video=0)]


@pytest.mark.parametrize("name", ["relay.mp4", "relay.webm"])
def test_fix_strips_the_location_losslessly(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    tags = {"location": "+51.5007-000.1246/", "artist": "Jo Teacher", "title": "Year 4 relay"}
    source = videos.make(folder / name, seconds=4, tags=tags)
    before = read_metadata(source, 10**8)
    assert before.location and before.names and before.captions  # the probe: the original carries them
    result = CliRunner().invoke(main, ["fix", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    copy = tmp_path / "out" / name
    meta = read_metadata(copy, 10**8)
    assert meta.location is None and meta.names == {} and not meta.captions
    assert _frame_hashes(copy) == _frame_hashes(source)  # every decoded frame identical: nothing re-encoded
    entry = json.loads((tmp_path / "out-manifest.json").read_text())["files"][0]
    assert entry["lossless"] and entry["remaining"] == [] and "location" in " ".join(entry["removed"]).lower()


def test_one_person_across_frames_videos_and_photos(tmp_path: Path) -> None:
    """The same face in a photo and in a video's frames is one person: the video counts once among the pictures,
    with its views and time codes, and its views weigh in the severity (up to five)."""
    from tests.analyze import images

    folder = tmp_path / "visit"
    folder.mkdir()
    portrait = Image.fromarray(skimage.data.astronaut())
    (folder / "portrait.jpg").write_bytes(images.save(portrait, "JPEG", quality=90))
    videos.make(folder / "tour.mp4", seconds=10, face_from=2.0, face_to=8.0)
    CliRunner().invoke(main, ["check", str(folder), "--out", str(tmp_path / "o"), "--no-state"])
    people = _findings(tmp_path / "o")["person_exposure"]
    assert len(people) == 1
    evidence = people[0]["evidence"]
    assert evidence["photos"] == 2 and evidence["exposures"] == 1 + 3  # the photo, and three views in the video
    by_name = {p["url"].rsplit("/", 1)[-1]: p for p in evidence["pictures"]}
    assert by_name["tour.mp4"]["time_codes"] == ["0:02", "0:04", "0:06"] and "views" not in by_name["portrait.jpg"]
    assert "1 public photo and 1 video (3 sampled views)" in people[0]["title"]
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    numbers = {a["url"].rsplit("/", 1)[-1]: {f["person"] for f in a["faces"]} for a in document["assets"]}
    assert numbers["portrait.jpg"] == numbers["tour.mp4"] == {1}


def test_a_video_alone_can_expose_a_person(tmp_path: Path) -> None:
    folder = tmp_path / "film"
    folder.mkdir()
    videos.make(folder / "documentary.mp4", seconds=12, face_from=0.0, face_to=12.0)
    CliRunner().invoke(main, ["check", str(folder), "--out", str(tmp_path / "o"), "--no-state"])
    people = _findings(tmp_path / "o")["person_exposure"]
    assert len(people) == 1 and people[0]["evidence"]["exposures"] == 5  # six views, capped at five
    assert people[0]["evidence"]["photos"] == 1


def test_an_hls_stream_and_a_script_only_video_are_read(tmp_path: Path) -> None:
    """A player's HLS master playlist: the largest rendition's first segments are fetched and joined (the small
    rendition is never fetched), and its frames read; a video named only in a script is found too; an encrypted
    stream is an error, not a clean result."""
    rendition = videos.hls(tmp_path / "high").parent
    media = (rendition / "index.m3u8").read_text()
    segments = {
        f"/stream/high/{p.name}": Route(p.read_bytes(), content_type="video/mp2t") for p in rendition.glob("seg*.ts")
    }
    assert len(segments) == 3
    master = (
        "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x180\nlow/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=480x480\nhigh/index.m3u8\n"
    )
    locked = '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="key"\n#EXTINF:2.0,\nseg0.ts\n'
    clip = videos.make(tmp_path / "secret.mp4", seconds=2, face_from=0.0).read_bytes()
    page = (
        "<html><body><video src='/stream/master.m3u8'></video><video src='/locked/index.m3u8'></video>"
        "<script src='/app.js'></script></body></html>"
    )
    routes = {
        "/": Route(page),
        "/app.js": Route("const film = '/media/secret.mp4';", content_type="text/javascript"),
        "/media/secret.mp4": Route(clip, content_type="video/mp4"),
        "/stream/master.m3u8": Route(master, content_type="application/vnd.apple.mpegurl"),
        "/stream/low/index.m3u8": Route(
            "#EXTM3U\n#EXTINF:2.0,\nseg0.ts\n", content_type="application/vnd.apple.mpegurl"
        ),
        "/stream/high/index.m3u8": Route(media, content_type="application/vnd.apple.mpegurl"),
        "/locked/index.m3u8": Route(locked, content_type="application/vnd.apple.mpegurl"),
        "/robots.txt": Route("", status=404),
        **segments,
    }
    site = Site(routes)
    with site.serve() as base:
        args = ["scan", base + "/", "--out", str(tmp_path / "o"), "--no-state", "--render", "never", "--rate", "200"]
        CliRunner().invoke(main, args)
    assert site.hits["/stream/low/index.m3u8"] == 0 and all(site.hits[p] == 1 for p in segments)
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    assets = {a["url"].split("/", 3)[-1]: a for a in document["assets"]}
    stream = assets["stream/master.m3u8"]
    assert stream["type"] == "video" and stream["metadata"]["duration_s"] == pytest.approx(6.0, abs=0.2)
    faces = {f["asset"].split("/", 3)[-1]: f for f in document["findings"] if f["check"] == "identifiable_face"}
    assert faces["stream/master.m3u8"]["evidence"]["time_codes"] == ["0:02"]
    assert "media/secret.mp4" in faces  # found only in the script
    locked_errors = [e for e in document["errors"] if e["url"].endswith("/locked/index.m3u8")]
    assert locked_errors and "encrypted" in locked_errors[0]["message"]


def test_a_video_over_the_cap_is_read_in_part_and_says_so(tmp_path: Path) -> None:
    """A web-ready MP4 (index first) larger than --max-video-bytes: its first part is fetched with a range request
    and read (the faces at its start are found), and the rest is reported as not checked."""
    import av

    long = videos.make(tmp_path / "long.mp4", seconds=20, face_from=0.0, face_to=4.0, gop=5)  # a keyframe a second
    ready = tmp_path / "ready.mp4"
    with av.open(str(long)) as source, av.open(str(ready), "w", options={"movflags": "faststart"}) as target:
        stream = target.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                target.mux(packet)
    data = ready.read_bytes()
    cap = len(data) * 3 // 4
    routes = {
        "/": Route("<video src='/film.mp4'></video>"),
        "/film.mp4": Route(data, content_type="video/mp4", ranges=True),
        "/robots.txt": Route("", status=404),
    }
    with Site(routes).serve() as base:
        args = ["scan", base + "/", "--out", str(tmp_path / "o"), "--no-state", "--render", "never"]
        CliRunner().invoke(main, [*args, "--rate", "200", "--max-video-bytes", str(cap)])
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    film = next(a for a in document["assets"] if a["url"].endswith("/film.mp4"))
    assert film["bytes"] == cap and film["status"] == 206
    checks = {f["check"]: f for f in document["findings"] if f["asset"] and f["asset"].endswith("/film.mp4")}
    assert checks["identifiable_face"]["evidence"]["time_codes"][0] == "0:00"
    assert "the rest of the video was not checked" in checks["not_checked"]["evidence"]["reason"]


def test_fix_blur_covers_faces_in_every_frame_and_keeps_the_sound(tmp_path: Path) -> None:
    """--blur all re-encodes a video with every face covered: no sampled frame of the copy shows a face, the
    frames without faces are unchanged in content, and its sound is copied packet for packet."""
    import av

    folder = tmp_path / "in"
    folder.mkdir()
    silent = videos.make(tmp_path / "silent.mp4", seconds=4, face_from=1.0, face_to=3.0)
    source = folder / "assembly.mp4"
    with av.open(str(silent)) as picture, av.open(str(source), "w") as target:
        track = target.add_stream_from_template(picture.streams.video[0])
        sound = target.add_stream("aac", rate=16000)
        for packet in picture.demux(picture.streams.video[0]):
            if packet.dts is not None:
                packet.stream = track
                target.mux(packet)
        for k in range(64):  # four seconds of a quiet tone
            tone = np.sin(np.arange(1000) * 0.05 + k * 50).astype(np.float32)[None, :] * 0.1
            frame = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            frame.rate, frame.pts = 16000, k * 1000
            for packet in sound.encode(frame):
                target.mux(packet)
        for packet in sound.encode():
            target.mux(packet)
    result = CliRunner().invoke(main, ["fix", str(folder), "--out", str(tmp_path / "out"), "--blur", "all"])
    assert result.exit_code == 0, result.output
    copy = tmp_path / "out" / "assembly.mp4"
    seen = [analyse(pixels, Thresholds()) for _, pixels in frames(copy, 0.5, 120, 600, 1920)]
    original = [analyse(pixels, Thresholds()) for _, pixels in frames(source, 0.5, 120, 600, 1920)]
    assert sum(bool(f) for f in original) >= 3 and not any(seen)  # the probe finds faces; none survive

    def audio(path: Path) -> list[bytes]:
        with av.open(str(path)) as c:
            return [bytes(p) for p in c.demux(c.streams.audio[0]) if p.dts is not None]

    assert audio(copy) == audio(source)
    entry = json.loads((tmp_path / "out-manifest.json").read_text())["files"][0]
    assert not entry["lossless"] and entry["faces_blurred"] >= 5 and "re-encoded" in entry["changes"][0]


def test_a_rescan_reuses_a_videos_frames_and_still_groups_people(tmp_path: Path) -> None:
    """The second scan of an unchanged video takes its frames from the history (no vectors are kept there); the set
    of photos changed, so those frames are read again at their time codes to group people, and the video's person
    is the new photo's person too."""
    from tests.analyze import images

    folder = tmp_path / "visit"
    folder.mkdir()
    (folder / "portrait.jpg").write_bytes(images.save(Image.fromarray(skimage.data.astronaut()), "JPEG", quality=90))
    videos.make(folder / "tour.mp4", seconds=10, face_from=2.0, face_to=8.0)
    args = ["check", str(folder), "--state", str(tmp_path / "state")]
    CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o1")])
    closer = Image.fromarray(skimage.data.astronaut()).crop((100, 0, 420, 320))  # a new recognisable photo
    (folder / "closer.jpg").write_bytes(images.save(closer, "JPEG", quality=90))
    CliRunner().invoke(main, [*args, "--out", str(tmp_path / "o2")])
    first, second = (_findings(tmp_path / o) for o in ("o1", "o2"))
    for found, names in ((first, {"portrait.jpg", "tour.mp4"}), (second, {"portrait.jpg", "closer.jpg", "tour.mp4"})):
        (person,) = found["person_exposure"]
        assert {p["url"].rsplit("/", 1)[-1] for p in person["evidence"]["pictures"]} == names
    tour = [next(f for f in found["identifiable_face"] if f["asset"].endswith("tour.mp4")) for found in (first, second)]
    assert tour[0]["evidence"]["time_codes"] == tour[1]["evidence"]["time_codes"] == ["0:02", "0:04", "0:06"]
    import sqlite3

    rows = sqlite3.connect(tmp_path / "state" / "history.sqlite3").execute("SELECT * FROM face_cache").fetchall()
    cached = [json.loads(r[-1]) for r in rows if "|video|" in str(r)]
    assert len(cached) == 1 and "prints" not in json.dumps(cached)  # frames and faces, never face vectors


def test_a_dash_manifest_is_read_like_an_hls_stream(tmp_path: Path) -> None:
    """FFmpeg's own DASH output (SegmentTemplate, init segment, fMP4 chunks): the chunks are fetched and joined
    after the init segment and read; a protected manifest is reported, not read."""
    folder = videos.dash(tmp_path / "dash").parent
    routes = {
        f"/dash/{p.name}": Route(
            p.read_bytes(), content_type="application/dash+xml" if p.suffix == ".mpd" else "video/mp4"
        )
        for p in folder.iterdir()
    }
    protected = (
        (folder / "manifest.mpd")
        .read_text()
        .replace(
            "<Representation", '<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011"/><Representation', 1
        )
    )
    routes["/locked/manifest.mpd"] = Route(protected, content_type="application/dash+xml")
    page = "<video src='/dash/manifest.mpd'></video><video src='/locked/manifest.mpd'></video>"
    routes |= {"/": Route(page), "/robots.txt": Route("", status=404)}
    site = Site(routes)
    with site.serve() as base:
        args = ["scan", base + "/", "--out", str(tmp_path / "o"), "--no-state", "--render", "never", "--rate", "200"]
        CliRunner().invoke(main, args)
    assert all(site.hits[p] == 1 for p in routes if p.startswith("/dash/"))
    document = json.loads((tmp_path / "o" / "findings.json").read_text())
    faces = {f["asset"].split("/", 3)[-1]: f for f in document["findings"] if f["check"] == "identifiable_face"}
    assert faces["dash/manifest.mpd"]["evidence"]["time_codes"] == ["0:02"]
    locked = [e for e in document["errors"] if e["url"].endswith("/locked/manifest.mpd")]
    assert locked and "protected" in locked[0]["message"]


def test_samples_spread_over_a_long_video() -> None:
    """120 samples cover a 10-minute film from start to end (one every 5 s), not only its first 4 minutes; a
    two-hour one is sampled over its first half hour (the evidence's sampled_seconds says so)."""
    from auditor.analyze.faces import DEFAULT_MODELS
    from auditor.analyze.video_faces import VideoJob

    def job(duration: float | None) -> VideoJob:
        return VideoJob("x", "v.mp4", 2.0, 120, 1800.0, 1920, 300.0, Thresholds(), DEFAULT_MODELS, duration)

    assert [job(d).interval for d in (None, 10.0, 600.0, 7200.0)] == [2.0, 2.0, 5.0, 15.0]


def test_what_was_not_read_of_a_long_video_or_stream_is_said(tmp_path: Path, make_config) -> None:  # type: ignore[no-untyped-def]
    """A video longer than the sampled span, and a stream whose later segments were not fetched: each is a
    not_checked finding saying how much was looked at, never a clean result for the whole."""
    from auditor.pipeline import run_check, run_scan

    folder = tmp_path / "films"
    folder.mkdir()
    videos.make(folder / "long.mp4", seconds=10, face_from=None)
    checked = run_check([folder], make_config(out=tmp_path / "c", video_max_seconds=4.0)).document
    reasons = [f["evidence"]["reason"] for f in checked["findings"] if f["check"] == "not_checked"]
    assert any("only the first 4 s of this 10 s video were sampled" in r for r in reasons), reasons

    rendition = videos.hls(tmp_path / "high").parent
    segments = sorted(rendition.glob("seg*.ts"))
    routes = {f"/s/{p.name}": Route(p.read_bytes(), content_type="video/mp2t") for p in segments}
    routes |= {
        "/": Route("<video src='/s/index.m3u8'></video>"),
        "/s/index.m3u8": Route((rendition / "index.m3u8").read_text(), content_type="application/vnd.apple.mpegurl"),
        "/robots.txt": Route("", status=404),
    }
    cap = segments[0].stat().st_size + 100  # room for the first segment only
    with Site(routes).serve() as base:
        scanned = run_scan(make_config(base + "/", max_video_bytes=cap, probe_directories=False)).document
    reasons = [f["evidence"]["reason"] for f in scanned["findings"] if f["check"] == "not_checked"]
    # The seconds said are those fetched (one 2-second segment), not the whole list of 6 s.
    assert any("only the first 2 s of the stream were read" in r for r in reasons), reasons


def test_a_dash_stream_longer_than_the_segments_listed_is_said_to_go_on() -> None:
    """A live DASH template (no stated end) and a timeline longer than the segments taken: the stream is marked as
    going on past them (reported as not fully checked), even when the segments taken are under the time budget."""
    from auditor.crawl.hls import MAX_SEGMENTS, dash_segments

    def manifest(template: str, duration: str = "") -> bytes:
        return (
            f'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011"{duration}><Period><AdaptationSet contentType="video">'
            f'<Representation id="v" width="640" height="360" bandwidth="1">{template}</Representation>'
            "</AdaptationSet></Period></MPD>"
        ).encode()

    tenth = '<SegmentTemplate media="c$Number$.m4s" timescale="10" duration="1"/>'  # 0.1-second chunks
    live = dash_segments(manifest(tenth), "http://x/", 120.0)
    assert len(live.segments) == MAX_SEGMENTS and live.more
    short = dash_segments(manifest(tenth, ' mediaPresentationDuration="PT5S"'), "http://x/", 120.0)
    assert len(short.segments) == 50 and not short.more  # all of a 5-second stream: nothing left unread
    timeline = (
        '<SegmentTemplate media="c$Time$.m4s" timescale="10"><SegmentTimeline><S t="0" d="1" r="999"/>'
        "</SegmentTimeline></SegmentTemplate>"
    )
    long = dash_segments(manifest(timeline), "http://x/", 120.0)
    assert len(long.segments) == MAX_SEGMENTS and long.more
